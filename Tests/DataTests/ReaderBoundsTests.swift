import CZlibShim
import Foundation
import Support
import XCTest
@testable import Data

/// Headers that claim more than their files hold are refused before anything is allocated
/// for the claim, with an error naming the file and the problem (see also FuzzTesting/).
final class ReaderBoundsTests: XCTestCase {
    func write(_ bytes: [UInt8], _ name: String, in dir: String) throws -> String {
        let path = dir + "/" + name
        try FileIO.write(bytes, to: path)
        return path
    }

    func gzip(_ bytes: [UInt8], to path: String) throws {
        try FileIO.writeGzip(bytes, to: path)
    }

    // MARK: IDX

    func testIDXClaimingTwoToThe31ImagesIsRefusedFromItsSize() throws {
        let dir = try makeTempDirectory(self)
        let raw = try write(IDXFile.encode(dimensions: [1 << 31, 2, 2], bytes: [1, 2, 3]), "huge-idx3-ubyte", in: dir)
        assertDataError(try IDXFile.read(path: raw), contains: [raw, "truncated", "need 8589934592 data bytes, found 3"])
        let gz = dir + "/huge-idx3-ubyte.gz"
        try gzip(IDXFile.encode(dimensions: [1 << 31, 2, 2], bytes: [UInt8](repeating: 9, count: 5000)), to: gz)
        assertDataError(try IDXFile.read(path: gz), contains: [gz, "truncated", "found 5000"])
        // 2³¹ images of 28×28 (1.7 TB) are beyond any plausible file.
        let mnist = try write(IDXFile.encode(dimensions: [1 << 31, 28, 28], bytes: [1, 2, 3]), "mnist-idx3-ubyte", in: dir)
        assertDataError(try IDXFile.read(path: mnist), contains: [mnist, "implausibly large"])
        let absurd = try write(IDXFile.encode(dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], bytes: []), "absurd", in: dir)
        assertDataError(try IDXFile.read(path: absurd), contains: [absurd, "implausibly large"])
    }

    func testTruncatedIDXFilesNameTheMissingBytes() throws {
        let dir = try makeTempDirectory(self)
        let full = IDXFile.encode(dimensions: [3, 4, 5], bytes: [UInt8](repeating: 1, count: 60))
        let raw = try write(Array(full.dropLast(7)), "short", in: dir)
        assertDataError(try IDXFile.read(path: raw), contains: [raw, "truncated", "need 60 data bytes, found 53"])
        let header = try write([0, 0, 8, 3, 0, 0, 0], "header", in: dir)
        assertDataError(try IDXFile.read(path: header), contains: [header, "truncated", "header needs 16 bytes"])
        let gz = dir + "/short.gz"
        try gzip(Array(full.dropLast(7)), to: gz)
        assertDataError(try IDXFile.read(path: gz), contains: [gz, "truncated", "found 53"])
        // A compressed stream cut short is a decompression error, not a crash.
        try gzip(full, to: gz)
        let whole = try FileIO.read(gz)
        let cut = try write(Array(whole.prefix(whole.count / 2)), "cut.gz", in: dir)
        assertDataError(try IDXFile.read(path: cut), contains: [cut])
    }

    func testCompressedIDXCannotInflatePastItsHeader() throws {
        // 4 MiB of zeros behind a header claiming 10 bytes: refused after the 11th byte.
        let dir = try makeTempDirectory(self)
        let gz = dir + "/bomb.gz"
        try gzip(IDXFile.encode(dimensions: [10], bytes: [UInt8](repeating: 0, count: 4 << 20)), to: gz)
        assertDataError(try IDXFile.read(path: gz), contains: [gz, "unexpected trailing bytes after 10 data bytes"])
        let raw = try write(IDXFile.encode(dimensions: [2], bytes: [1, 2, 3]), "trailing", in: dir)
        assertDataError(try IDXFile.read(path: raw), contains: [raw, "1 unexpected trailing bytes"])
        // Both spellings still read what they hold.
        try gzip(IDXFile.encode(dimensions: [2, 3], bytes: [1, 2, 3, 4, 5, 6]), to: gz)
        XCTAssertEqual(try IDXFile.read(path: gz).bytes, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try IDXFile.read(path: gz, expectedRank: 2).dimensions, [2, 3])
        let empty = try write(IDXFile.encode(dimensions: [0, 28, 28], bytes: []), "empty", in: dir)
        XCTAssertEqual(try IDXFile.read(path: empty).bytes, [])
    }

    func testNegativeLimitsAreErrors() throws {
        let dir = try makeTempDirectory(self)
        let images = try write(IDXFile.encode(dimensions: [1, 2, 2], bytes: [1, 2, 3, 4]), "images", in: dir)
        let labels = try write(IDXFile.encode(dimensions: [1], bytes: [0]), "labels", in: dir)
        assertDataError(try IDXDataset(imagesPath: images, labelsPath: labels, classNames: ["a"], limit: -1), contains: [images, "negative"])
        assertDataError(try CIFAR10Dataset(directory: dir, split: .test, limit: -5), contains: [dir, "negative"])
        assertDataError(try CIFAR100Dataset(directory: dir, split: .test, limit: -5), contains: [dir, "negative"])
        assertDataError(try ImageFolderDataset(root: dir, limit: -1), contains: [dir, "negative"])
    }

    // MARK: CIFAR

    func testCIFARRecordCountsComeFromTheFileSize() throws {
        let dir = try makeTempDirectory(self)
        let image = patternImage(width: 32, height: 32)
        let one = CIFARRecords.encode(labels: [[3]], images: [image])
        let path = try write(one + one + Array(one.prefix(100)), "test_batch.bin", in: dir)
        assertDataError(try CIFAR10Dataset(directory: dir, split: .test), contains: [path, "not a multiple of the 3073-byte", "2 whole records + 100 bytes"])
        _ = try write(one + one, "test_batch.bin", in: dir)
        XCTAssertEqual(try CIFAR10Dataset(directory: dir, split: .test).count, 2)
        _ = try write([], "test_batch.bin", in: dir)
        assertDataError(try CIFAR10Dataset(directory: dir, split: .test), contains: [path, "empty"])
        var bad = one
        bad[0] = 10
        _ = try write(bad, "test_batch.bin", in: dir)
        assertDataError(try CIFAR10Dataset(directory: dir, split: .test), contains: [path, "record 0: label 10 out of range"])
    }

    // MARK: images

    /// A valid JPEG with other dimensions written into its frame header.
    func jpeg(width: Int, height: Int) throws -> [UInt8] {
        var b = try ImageEncoder.jpeg(patternImage(width: 16, height: 16))
        var i = 2
        while i + 9 < b.count, b[i] == 0xFF {
            if (0xC0...0xC2).contains(b[i + 1]) {
                b[i + 5] = UInt8(height >> 8); b[i + 6] = UInt8(height & 0xFF)
                b[i + 7] = UInt8(width >> 8); b[i + 8] = UInt8(width & 0xFF)
                return b
            }
            i += 2 + (Int(b[i + 2]) << 8 | Int(b[i + 3]))
        }
        throw XCTSkip("no frame header found")
    }

    func testImageSizesAreCheckedBeforeDecoding() throws {
        XCTAssertEqual(ImageDecoder.defaultMaxPixels, 1 << 26)
        // 65500×65500 from a file of a few hundred bytes: refused from the header.
        let huge = try jpeg(width: 65500, height: 65500)
        assertDataError(try ImageDecoder.decode(huge, source: "huge.jpg"), contains: ["huge.jpg", "65500x65500", "larger than the limit of 67108864 pixels"])
        let small = try jpeg(width: 64, height: 64)
        assertDataError(try ImageDecoder.decode(small, source: "s.jpg", maxPixels: 64 * 63), contains: ["s.jpg", "larger than the limit"])
        // Within the bound the header passes; its data (for 16×16) ends early: refused as truncated
        // rather than returned with the missing part gray.
        assertDataError(try ImageDecoder.decode(small, source: "s.jpg", maxPixels: 64 * 64), contains: ["s.jpg", "truncated JPEG"])
        let png = try PNGCodec.encode(width: 300, height: 200, channels: 3, pixels: [UInt8](repeating: 7, count: 300 * 200 * 3))
        assertDataError(try ImageDecoder.decode(png, source: "big.png", maxPixels: 300 * 200 - 1), contains: ["big.png", "PNG image of 300x200 pixels is larger"])
        XCTAssertEqual(try ImageDecoder.decode(png, source: "big.png").height, 200)
    }

    func testPNGHeaderClaimingAMillionByAMillionPixels() throws {
        // IHDR of 1,000,000 × 1,000,000 (libpng's own limit) and an empty image stream.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            png += withUnsafeBytes(of: UInt32(data.count).bigEndian, Array.init)
            var crc = CRC32()
            crc.update(Array(type.utf8) + data)
            png += Array(type.utf8) + data + withUnsafeBytes(of: crc.value.bigEndian, Array.init)
        }
        let side = withUnsafeBytes(of: UInt32(1_000_000).bigEndian, Array.init)
        chunk("IHDR", side + side + [8, 0, 0, 0, 0])
        chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        chunk("IEND", [])
        assertDataError(try ImageDecoder.decode(png, source: "wide.png"), contains: ["wide.png", "1000000x1000000", "larger than the limit"])
    }
}
