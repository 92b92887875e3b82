import Foundation
import Support
import XCTest
@testable import Data

/// The troublesome files of a data folder, built here byte by byte: what the decoder and
/// `ImageFileScreen` say of each, and how a screened `ImageFolderDataset` refuses or leaves
/// them out.
final class BadImageFileTests: XCTestCase {
    // MARK: PNG bytes by hand (a stored deflate block: no compressor needed)

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ tag: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(tag.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// A PNG of `colourType` (0 gray, 2 RGB) and `depth` bits whose filtered rows are `rows`
    /// (each beginning with its filter byte), compressed as one stored block.
    static func png(width: Int, height: Int, depth: UInt8, colourType: UInt8, rows: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in rows { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        let n = UInt16(rows.count)
        let zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + rows + bigEndian(b << 16 | a)
        let ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [depth, colourType, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    func write(_ bytes: [UInt8], _ path: String) throws -> String { try FileIO.write(bytes, to: path); return path }

    func jpeg(width: Int = 32, height: Int = 32) throws -> [UInt8] {
        try ImageEncoder.jpeg(patternImage(width: width, height: height), quality: 90)
    }

    /// `bytes` of a JPEG with its frame header's size replaced.
    func resized(_ bytes: [UInt8], width: Int, height: Int) -> [UInt8] {
        var b = bytes
        let sof = (0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == 0xC0 }!
        b[sof + 5] = UInt8(height >> 8); b[sof + 6] = UInt8(height & 0xFF)
        b[sof + 7] = UInt8(width >> 8); b[sof + 8] = UInt8(width & 0xFF)
        return b
    }

    // MARK: The decoder

    func test16BitPNGIsScaledNotGammaCorrected() throws {
        // Gray 16-bit 32768 and 16384, no gAMA chunk: 8-bit 128 and 64 (as PIL and torchvision
        // read them), not libpng's linear-light default (186 and 136).
        let bytes = Self.png(width: 2, height: 1, depth: 16, colourType: 0, rows: [0, 0x80, 0x00, 0x40, 0x00])
        let image = try ImageDecoder.decode(bytes, source: "deep.png")
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, [128, 128, 128, 64, 64, 64])
        // 16-bit RGB: each channel its own.
        let rgb = Self.png(width: 1, height: 1, depth: 16, colourType: 2, rows: [0, 0xFF, 0xFF, 0x00, 0x00, 0x80, 0x00])
        XCTAssertEqual(try ImageDecoder.decode(rgb, source: "rgb16.png").pixels, [255, 0, 128])
    }

    func testOnePixelAndPNGNamedJPG() throws {
        let dir = try makeTempDirectory(self)
        let path = try write(Self.png(width: 1, height: 1, depth: 8, colourType: 2, rows: [0, 10, 200, 30]), dir + "/really-a-png.jpg")
        XCTAssertNil(ImageFileScreen.problem(at: path))
        XCTAssertEqual(try ImageDecoder.decodeFile(path).pixels, [10, 200, 30], "decoded by its content, not its extension")
    }

    func testTruncatedJPEGIsRefusedNotGrayFilled() throws {
        let full = try jpeg()
        let cut = Array(full.prefix(full.count * 3 / 4))
        assertDataError(try ImageDecoder.decode(cut, source: "cut.jpg"), contains: ["cut.jpg", "truncated JPEG", "Premature end"])
        let dir = try makeTempDirectory(self)
        let problem = ImageFileScreen.problem(at: try write(cut, dir + "/cut.jpg"))
        XCTAssertEqual(problem?.kind, .truncated)
        // Padding after the end-of-image marker is no truncation.
        XCTAssertNil(ImageFileScreen.problem(at: try write(full + [UInt8](repeating: 0, count: 2000), dir + "/padded.jpg")))
        XCTAssertNil(ImageFileScreen.problem(at: try write(full, dir + "/full.jpg")))
    }

    func testTruncatedPNG() throws {
        var rows: [UInt8] = []
        for y in 0..<16 {
            rows.append(0)
            for x in 0..<48 { rows.append(UInt8((x * 5 + y) % 256)) }
        }
        let full = Self.png(width: 16, height: 16, depth: 8, colourType: 2, rows: rows)
        let cut = Array(full.prefix(full.count / 2))
        assertDataError(try ImageDecoder.decode(cut, source: "cut.png"), contains: ["cut.png", "truncated PNG"])
        let dir = try makeTempDirectory(self)
        XCTAssertEqual(ImageFileScreen.problem(at: try write(cut, dir + "/cut.png"))?.kind, .truncated)
        XCTAssertEqual(ImageFileScreen.problem(at: try write(Array(full.prefix(20)), dir + "/header.png"))?.kind, .truncated)
        XCTAssertNil(ImageFileScreen.problem(at: try write(full, dir + "/full.png")))
    }

    func testHugeHeadersAreRefusedBeforeDecoding() throws {
        // 20000x20000 (400 megapixels; the bound is 8192x8192 = 67,108,864): headers with a few bytes of data.
        let png = Self.png(width: 20000, height: 20000, depth: 8, colourType: 2, rows: [0, 1, 2, 3])
        let jpg = resized(try jpeg(width: 8, height: 8), width: 20000, height: 20000)
        for (bytes, format) in [(png, "PNG image"), (jpg, "JPEG")] {
            assertDataError(try ImageDecoder.decode(bytes, source: "huge"), contains: ["huge", "\(format) of 20000x20000 pixels is larger than the limit of 67108864 pixels"])
        }
        let dir = try makeTempDirectory(self)
        XCTAssertEqual(ImageFileScreen.problem(at: try write(png, dir + "/huge.png"))?.kind, .tooLarge)
        XCTAssertEqual(ImageFileScreen.problem(at: try write(jpg, dir + "/huge.jpg"))?.detail,
                       "JPEG of 20000x20000 pixels is larger than the limit of 67108864 pixels")
        // 8192x8192 is within the bound (its header passes; its data is not there).
        XCTAssertNotEqual(ImageFileScreen.problem(at: try write(resized(try jpeg(width: 8, height: 8), width: 8192, height: 8192), dir + "/edge.jpg"))?.kind, .tooLarge)
    }

    func testUnopenableEmptyAndTextFiles() throws {
        let dir = try makeTempDirectory(self)
        XCTAssertEqual(ImageFileScreen.problem(at: try write([], dir + "/empty.jpg"))?.kind, .empty)
        let text = ImageFileScreen.problem(at: try write(Array("hello, not a picture\n".utf8), dir + "/notes.jpg"))
        XCTAssertEqual(text?.kind, .notAnImage)
        XCTAssertEqual(text?.detail.contains("begins like text"), true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/loop.jpg", withDestinationPath: "loop.jpg")
        XCTAssertEqual(ImageFileScreen.problem(at: dir + "/loop.jpg")?.detail, "symbolic link loop (too many levels of symbolic links)")
        assertDataError(try ImageDecoder.decodeFile(dir + "/loop.jpg"), contains: ["loop.jpg"])
        do { _ = try ImageDecoder.decodeFile(dir + "/loop.jpg") } catch let e as DataError {
            XCTAssertEqual(e.kind, .badImage, "a file that cannot be opened is skippable by the loader")
        }
        try FileManager.default.createSymbolicLink(atPath: dir + "/gone.png", withDestinationPath: "nowhere.png")
        XCTAssertEqual(ImageFileScreen.problem(at: dir + "/gone.png")?.detail, "dangling symbolic link (its target does not exist)")
        if getuid() != 0 {  // root reads a file without read permission anyway
            let locked = try write(try jpeg(), dir + "/locked.jpg")
            chmod(locked, 0)
            XCTAssertEqual(ImageFileScreen.problem(at: locked)?.kind, .unreadable)
        }
    }

    // MARK: A screened folder

    func makeFolder() throws -> String {
        let root = try makeTempDirectory(self) + "/data"
        for c in ["a", "b", "c-empty", "d"] { try FileManager.default.createDirectory(atPath: root + "/" + c, withIntermediateDirectories: true) }
        _ = try write(try jpeg(), root + "/a/1.jpg")
        _ = try write(try jpeg(), root + "/a/2.jpg")
        _ = try write([], root + "/a/3-empty.jpg")
        let whole = try jpeg()
        _ = try write(Array(whole.prefix(whole.count * 3 / 4)), root + "/b/1-cut.jpg")
        // Cut inside its tables, after the frame header: truncated too.
        XCTAssertEqual(ImageFileScreen.problem(at: try write(Array(whole.prefix(300)), root + "/../cut300.jpg"))?.detail,
                       "truncated JPEG (300 bytes: it ends before its first scan)")
        _ = try write(try jpeg(), root + "/b/2.jpg")
        _ = try write(try jpeg(), root + "/d/1.jpg")
        return root
    }

    func testScreenedFolderRefusesOrLeavesOut() throws {
        let root = try makeFolder()
        // Unscreened (the library's default): the files are there, the loader meets them.
        XCTAssertEqual(try ImageFolderDataset(root: root, allowEmptyClasses: true).count, 6)
        // Screened, strict: the empty class folder, then (with it filled) the first bad file in sorted order.
        assertDataError(try ImageFolderDataset(root: root, screenFiles: true), contains: [root + "/c-empty", "no images", "--skip-bad-images"])
        _ = try write(try jpeg(), root + "/c-empty/1.jpg")
        assertDataError(try ImageFolderDataset(root: root, screenFiles: true), contains: [root + "/a/3-empty.jpg: empty file", "--skip-bad-images"])
        try FileManager.default.removeItem(atPath: root + "/c-empty/1.jpg")
        // Screened, skipping: bad files left out and listed, the empty class keeps its index.
        let ds = try ImageFolderDataset(root: root, skipBadImages: true, screenFiles: true, workers: 2)
        XCTAssertEqual(ds.classIdentifiers, ["a", "b", "c-empty", "d"])
        XCTAssertEqual(ds.files.map { String($0.dropFirst(root.count + 1)) }, ["a/1.jpg", "a/2.jpg", "b/2.jpg", "d/1.jpg"])
        XCTAssertEqual((0..<ds.count).map(ds.label(at:)), [0, 0, 1, 3])
        XCTAssertEqual(ds.leftOutFiles.map(\.kind), [.empty, .truncated, .emptyClassFolder])
        XCTAssertEqual(ds.prefix(2).leftOutFiles, ds.leftOutFiles, "subsets report their base's")
        XCTAssertEqual(ImageFileProblem.summary(of: ds.leftOutFiles, total: 6, listPath: "run/skipped-images.txt"),
                       "skipped 2 of 6 images: 1 empty, 1 truncated; 1 class folder without images (kept as a class); list in run/skipped-images.txt")
        let list = try makeTempDirectory(self, "list") + "/skipped-images.txt"
        try ImageFileProblem.writeList(ds.leftOutFiles, to: list)
        let lines = try FileIO.readLines(list)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], "\(root)/a/3-empty.jpg\tempty\tempty file (0 bytes)")
    }

    func testSymbolicLinkLoopInPlaceOfAClassFolder() throws {
        let root = try makeFolder()
        try FileManager.default.removeItem(atPath: root + "/c-empty")
        try FileManager.default.createSymbolicLink(atPath: root + "/c-loop", withDestinationPath: "c-loop")
        assertDataError(try ImageFolderDataset(root: root, screenFiles: true), contains: [root + "/c-loop", "symbolic link loop", "class folder"])
        let ds = try ImageFolderDataset(root: root, skipBadImages: true, screenFiles: true)
        XCTAssertEqual(ds.classIdentifiers, ["a", "b", "d"])
        XCTAssertTrue(ds.leftOutFiles.contains { $0.path == root + "/c-loop" && $0.kind == .unreadable })
    }
}
