import Foundation

/// Checks an image file before training from a few of its bytes, without decoding it: that it
/// can be opened, is not empty, is a JPEG or PNG by its content, declares no more pixels than
/// the decoder's bound, and ends where its format ends. A file that does not end that way
/// (a JPEG without its end-of-image marker, a PNG without its IEND chunk) is decoded to
/// tell a truncated file from one with trailing bytes, which decoders accept.
///
/// Cost per file: one `open`, one `fstat`, a few `pread`s of some bytes (a JPEG's markers are
/// walked up to its first scan), so a folder of a million images is screened in about the
/// time of listing and opening them. Corruption inside the compressed data is not looked for
/// here; the loader meets it (and, with `--skip-bad-images`, replaces the sample).
public enum ImageFileScreen {
    /// Files larger than this are refused without being read: 256 MiB, more than any image
    /// within `ImageDecoder.defaultMaxPixels` needs as JPEG or as 8-bit PNG.
    public static let maxFileBytes = 256 << 20

    /// The problem of the file at `path`, or nil when it looks usable.
    public static func problem(at path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                               maxFileBytes: Int = maxFileBytes) -> ImageFileProblem? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return openProblem(path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return ImageFileProblem(path: path, kind: .unreadable, detail: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return ImageFileProblem(path: path, kind: .unreadable, detail: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 { return ImageFileProblem(path: path, kind: .empty, detail: "empty file (0 bytes)") }
        if size > maxFileBytes {
            return ImageFileProblem(path: path, kind: .tooLarge, detail: "file of \(size) bytes is larger than the limit of \(maxFileBytes) bytes")
        }
        func bytes(_ offset: Int, _ count: Int) -> [UInt8]? {
            guard offset >= 0, count >= 0, offset + count <= size else { return nil }
            var out = [UInt8](repeating: 0, count: count)
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return n == count ? out : nil
        }
        guard let head = bytes(0, Swift.min(size, 8)) else {
            return ImageFileProblem(path: path, kind: .unreadable, detail: "read error: \(String(cString: strerror(errno)))")
        }
        let result: ImageFileProblem?
        switch ImageDecoder.sniff(head) {
        case .png: result = screenPNG(path, size: size, maxPixels: maxPixels, bytes: bytes)
        case .jpeg: result = screenJPEG(path, size: size, maxPixels: maxPixels, bytes: bytes)
        case .unknown:
            let text = head.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) }
            return ImageFileProblem(path: path, kind: .notAnImage,
                                    detail: "not a JPEG or PNG file by its content (\(text ? "it begins like text" : "unrecognised signature"))")
        }
        if let result { return result }
        return nil
    }

    /// The problem of a file that cannot be opened.
    static func openProblem(_ path: String, errno code: Int32) -> ImageFileProblem {
        switch code {
        case ELOOP:
            return ImageFileProblem(path: path, kind: .unreadable, detail: "symbolic link loop (too many levels of symbolic links)")
        case ENOENT:
            var info = stat()
            let dangling = lstat(path, &info) == 0
            return ImageFileProblem(path: path, kind: .unreadable, detail: dangling ? "dangling symbolic link (its target does not exist)" : "file not found")
        case EACCES, EPERM:
            return ImageFileProblem(path: path, kind: .unreadable, detail: "no read permission (\(String(cString: strerror(code))))")
        default:
            return ImageFileProblem(path: path, kind: .unreadable, detail: "cannot open: \(String(cString: strerror(code)))")
        }
    }

    private static func screenPNG(_ path: String, size: Int, maxPixels: Int, bytes: (Int, Int) -> [UInt8]?) -> ImageFileProblem? {
        // Signature (8), IHDR length (4) and type (4), width (4), height (4).
        guard let ihdr = bytes(8, 16) else {
            return ImageFileProblem(path: path, kind: .truncated, detail: "truncated PNG (\(size) bytes: it ends inside its header)")
        }
        guard ihdr[4...7].elementsEqual(Array("IHDR".utf8)) else {
            return ImageFileProblem(path: path, kind: .corrupt, detail: "corrupt PNG: its first chunk is not IHDR")
        }
        let be = { (o: Int) in Int(ihdr[o]) << 24 | Int(ihdr[o + 1]) << 16 | Int(ihdr[o + 2]) << 8 | Int(ihdr[o + 3]) }
        let width = be(8), height = be(12)
        if let p = dimensionProblem(path, "PNG", width, height, maxPixels) { return p }
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        if size >= 12, bytes(size - 12, 12) == iend { return nil }
        return confirmByDecoding(path, maxPixels: maxPixels)
    }

    private static func screenJPEG(_ path: String, size: Int, maxPixels: Int, bytes: (Int, Int) -> [UInt8]?) -> ImageFileProblem? {
        // Walks the marker segments after SOI, through the frame header (SOFn), up to the first scan (SOS).
        var offset = 2
        var frame: (width: Int, height: Int)?
        var segments = 0
        scan: while true {
            segments += 1
            guard segments < 10_000, let m = bytes(offset, 2) else {
                return ImageFileProblem(path: path, kind: .truncated, detail: "truncated JPEG (\(size) bytes: it ends before its \(frame == nil ? "frame header" : "first scan"))")
            }
            guard m[0] == 0xFF else {
                return ImageFileProblem(path: path, kind: .corrupt, detail: "corrupt JPEG: no marker at byte \(offset) of its header")
            }
            let marker = m[1]
            if marker == 0xFF { offset += 1; continue }                   // fill byte
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }  // no length
            if marker == 0xDA, frame != nil { break scan }
            if marker == 0xD9 || marker == 0xDA {
                return ImageFileProblem(path: path, kind: .corrupt, detail: "corrupt JPEG: no frame header before its \(marker == 0xDA ? "scan" : "end")")
            }
            guard let l = bytes(offset + 2, 2) else {
                return ImageFileProblem(path: path, kind: .truncated, detail: "truncated JPEG (\(size) bytes: it ends before its \(frame == nil ? "frame header" : "first scan"))")
            }
            let length = Int(l[0]) << 8 | Int(l[1])
            guard length >= 2 else { return ImageFileProblem(path: path, kind: .corrupt, detail: "corrupt JPEG: segment length \(length) at byte \(offset)") }
            let isFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrame, frame == nil {
                guard let f = bytes(offset + 4, 5) else {
                    return ImageFileProblem(path: path, kind: .truncated, detail: "truncated JPEG (\(size) bytes: it ends inside its frame header)")
                }
                frame = (Int(f[3]) << 8 | Int(f[4]), Int(f[1]) << 8 | Int(f[2]))
            }
            offset += 2 + length
        }
        if let p = dimensionProblem(path, "JPEG", frame!.width, frame!.height, maxPixels) { return p }
        // The end-of-image marker, possibly followed by padding.
        let tailLength = Swift.min(size, 1024)
        if let tail = bytes(size - tailLength, tailLength), hasEndMarker(tail) { return nil }
        return confirmByDecoding(path, maxPixels: maxPixels)
    }

    /// Whether `tail` holds a JPEG end-of-image marker (FF D9).
    private static func hasEndMarker(_ tail: [UInt8]) -> Bool {
        tail.withUnsafeBufferPointer { b in
            var i = b.count - 2
            while i >= 0 {
                if b[i] == 0xFF && b[i + 1] == 0xD9 { return true }
                i -= 1
            }
            return false
        }
    }

    private static func dimensionProblem(_ path: String, _ format: String, _ width: Int, _ height: Int, _ maxPixels: Int) -> ImageFileProblem? {
        if width == 0 || height == 0 {
            return ImageFileProblem(path: path, kind: .corrupt, detail: "corrupt \(format) header (image size \(width)x\(height))")
        }
        if width * height > maxPixels {
            return ImageFileProblem(path: path, kind: .tooLarge,
                                    detail: "\(format) of \(width)x\(height) pixels is larger than the limit of \(maxPixels) pixels")
        }
        return nil
    }

    /// Decodes a file whose end is not its format's end: a decoder error is the problem.
    private static func confirmByDecoding(_ path: String, maxPixels: Int) -> ImageFileProblem? {
        do { _ = try ImageDecoder.decodeFile(path, maxPixels: maxPixels) } catch let e as DataError {
            return ImageFileProblem(path: path, kind: classify(e), detail: e.message)
        } catch {
            return ImageFileProblem(path: path, kind: .corrupt, detail: "\(error)")
        }
        return nil
    }

    /// The kind of a decoder's error.
    public static func classify(_ error: DataError) -> ImageFileProblem.Kind {
        let m = error.message.lowercased()
        if m.contains("truncated") || m.contains("premature end") || m.contains("not enough image data") || m.contains("beyond end of data") { return .truncated }
        if m.contains("larger than the limit") { return .tooLarge }
        if m.contains("empty image file") { return .empty }
        if m.contains("not a jpeg or png") { return .notAnImage }
        if error.kind == .io || error.kind == .fileNotFound || m.contains("permission") || m.contains("symbolic link") { return .unreadable }
        return .corrupt
    }
}
