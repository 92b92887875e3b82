import CPNG
import Support
import Glibc  // POSIX file I/O for the atomic write (Linux only, like the rest of the toolkit)

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

        var libpngFormat: png_uint_32 {
            // PNG_FORMAT_GRAY = 0, PNG_FORMAT_FLAG_COLOR = 2, PNG_FORMAT_FLAG_ALPHA = 1.
            switch self {
            case .gray8: return 0
            case .rgb8: return 2
            case .rgba8: return 3
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

    /// Encodes pixels into PNG bytes in memory.
    ///
    /// - Parameter name: used only in error messages.
    public static func encode(width: Int, height: Int, format: PixelFormat, pixels: [UInt8],
                              name: String = "<memory>") throws -> [UInt8] {
        guard width > 0, height > 0, width < Int(Int32.max), height < Int(Int32.max) else {
            throw PNGError.invalidBuffer(path: name, reason: "size \(width)x\(height) is not positive")
        }
        let expected = width * height * format.channels
        guard pixels.count == expected else {
            throw PNGError.invalidBuffer(
                path: name,
                reason: "\(pixels.count) bytes for \(width)x\(height)x\(format.channels) (expected \(expected))")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format.libpngFormat
        let stride = png_int_32(width * format.channels)

        var size: png_alloc_size_t = 0
        let sized = pixels.withUnsafeBytes { buf in
            png_image_write_to_memory(&image, nil, &size, 0, buf.baseAddress, stride, nil)
        }
        guard sized != 0, size > 0 else {
            let reason = message(of: &image)
            png_image_free(&image)
            throw PNGError.encodeFailed(path: name, reason: reason)
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { src in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
            }
        }
        guard ok != 0 else {
            let reason = message(of: &image)
            png_image_free(&image)
            throw PNGError.encodeFailed(path: name, reason: reason)
        }
        png_image_free(&image)
        if Int(size) < out.count { out.removeLast(out.count - Int(size)) }
        return out
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

    /// Decodes PNG bytes (any colour type or bit depth libpng understands) into RGB8.
    ///
    /// - Parameter name: used only in error messages.
    public static func decode(_ data: [UInt8], name: String = "<memory>") throws -> Image {
        guard !data.isEmpty else { throw PNGError.decodeFailed(path: name, reason: "empty data") }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { buf in
            png_image_begin_read_from_memory(&image, buf.baseAddress, buf.count)
        }
        guard begun != 0 else {
            let reason = message(of: &image)
            png_image_free(&image)
            throw PNGError.decodeFailed(path: name, reason: reason)
        }
        image.format = PixelFormat.rgb8.libpngFormat
        let width = Int(image.width), height = Int(image.height)
        let total = vgg_png_image_size(&image)
        var pixels = [UInt8](repeating: 255, count: total)
        var white = png_color(red: 255, green: 255, blue: 255)
        let finished = pixels.withUnsafeMutableBytes { dst in
            png_image_finish_read(&image, &white, dst.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            let reason = message(of: &image)
            png_image_free(&image)
            throw PNGError.decodeFailed(path: name, reason: reason)
        }
        png_image_free(&image)
        return Image(width: width, height: height, pixels: pixels)
    }

    /// Reads a PNG file and converts it to RGB8.
    public static func read(path: String) throws -> Image {
        let data = try readFile(path)
        return try decode(data, name: path)
    }

    // MARK: - Internals

    static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw -> String in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[0..<end], as: UTF8.self)
        }
        return text.isEmpty ? "unknown libpng error" : text
    }

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
