import Glibc  // POSIX file reads (Linux only, like the rest of the toolkit)
import Support

/// Reading and writing 8-bit PNG files through libpng's simplified API.
///
/// Writing is atomic: the image is encoded in memory, written to a temporary file in
/// the destination directory, flushed, and renamed over the destination, so a reader
/// never sees a half-written picture. Reading always converts to RGB8 (alpha is
/// composited onto white, grayscale is expanded).
public enum PNGFile {
    /// The layout of the bytes handed to `write`/`encode`: 8 bits per channel, rows top
    /// to bottom, pixels left to right, channels interleaved.
    public enum PixelFormat: Sendable {
        /// One byte per pixel.
        case gray8
        /// Three bytes per pixel: red, green, blue.
        case rgb8
        /// Four bytes per pixel: red, green, blue, alpha (not premultiplied).
        case rgba8

        /// Bytes per pixel.
        public var channels: Int {
            switch self {
            case .gray8: return 1
            case .rgb8: return 3
            case .rgba8: return 4
            }
        }
    }

    /// An RGB8 image as decoded by `read`/`decode`.
    public struct Image: Equatable, Sendable {
        /// Width in pixels.
        public var width: Int
        /// Height in pixels.
        public var height: Int
        /// `width * height * 3` bytes, row-major, RGB interleaved.
        public var pixels: [UInt8]
    }

    /// Encodes pixels into PNG bytes in memory (`PNGCodec`).
    ///
    /// `name` is used only in error messages.
    public static func encode(width: Int, height: Int, format: PixelFormat, pixels: [UInt8],
                              name: String = "<memory>") throws -> [UInt8] {
        guard width > 0, height > 0, pixels.count == width * height * format.channels else {
            throw PNGError.invalidBuffer(path: name, reason: width > 0 && height > 0
                ? "\(pixels.count) bytes for \(width)x\(height)x\(format.channels) (expected \(width * height * format.channels))"
                : "size \(width)x\(height) is not positive")
        }
        do { return try PNGCodec.encode(width: width, height: height, channels: format.channels, pixels: pixels) } catch let e as PNGCodec.Failure {
            throw PNGError.encodeFailed(path: name, reason: e.reason)
        }
    }

    /// Encodes and writes a PNG atomically (temporary file in the same directory, then rename).
    ///
    /// Throws `PNGError` naming `path` if the buffer is wrong, the directory does not
    /// exist or is not writable, or any system call fails.
    public static func write(path: String, width: Int, height: Int, format: PixelFormat,
                             pixels: [UInt8]) throws {
        let bytes = try encode(width: width, height: height, format: format, pixels: pixels, name: path)
        try writeAtomically(bytes, to: path)
    }

    /// Decodes PNG bytes (any colour type or bit depth libpng understands) into RGB8,
    /// transparency composited onto white (`PNGCodec`).
    ///
    /// `name` is used only in error messages.
    public static func decode(_ data: [UInt8], name: String = "<memory>") throws -> Image {
        do {
            let image = try PNGCodec.decode(data, background: (255, 255, 255))
            return Image(width: image.width, height: image.height, pixels: image.pixels)
        } catch let e as PNGCodec.Failure {
            throw PNGError.decodeFailed(path: name, reason: e.reason)
        }
    }

    /// Reads a PNG file and converts it to RGB8.
    public static func read(path: String) throws -> Image {
        let data = try readFile(path)
        return try decode(data, name: path)
    }

    // MARK: - Internals

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch let e as AtomicFileError {
            throw PNGError.writeFailed(path: path, reason: e.reason)
        }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PNGError.readFailed(path: path, reason: errnoText()) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PNGError.readFailed(path: path, reason: errnoText())
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
