import Foundation
import Reports
import Support
import XCTest
@testable import Data

final class ImageFolderTests: XCTestCase {
    /// root/001.cat/{a.png (RGB), b.jpg (RGB)}, root/002.dog/{c.png (gray), d.png (RGBA), e.JPG (gray JPEG)}, notes.txt
    /// PNG bytes of a gray, RGB or RGBA image (the Reports module's encoder).
    func png(_ image: DecodedImage) throws -> [UInt8] {
        let format: PNGFile.PixelFormat = image.channels == 1 ? .gray8 : image.channels == 3 ? .rgb8 : .rgba8
        return try PNGFile.encode(width: image.width, height: image.height, format: format, pixels: image.pixels)
    }

    func makeFolder() throws -> String {
        let root = try makeTempDirectory(self) + "/256_ObjectCategories"
        for d in ["001.cat", "002.dog"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try FileIO.write(png(patternImage(width: 8, height: 6)), to: root + "/001.cat/a.png")
        try FileIO.write(ImageEncoder.jpeg(DecodedImage(width: 16, height: 16, channels: 3, fill: 200), quality: 95), to: root + "/001.cat/b.jpg")
        try FileIO.write(png(patternImage(width: 5, height: 4, channels: 1)), to: root + "/002.dog/c.png")
        var rgba = patternImage(width: 4, height: 3, channels: 4)
        for i in 0..<12 { rgba.pixels[4 * i + 3] = UInt8(i * 20) }
        try FileIO.write(png(rgba), to: root + "/002.dog/d.png")
        try FileIO.write(ImageEncoder.jpeg(DecodedImage(width: 8, height: 8, channels: 1, fill: 77), quality: 95), to: root + "/002.dog/e.JPG")
        try FileIO.write(Array("not an image".utf8), to: root + "/002.dog/notes.txt")
        return root
    }

    func testScanAndDecode() throws {
        let root = try makeFolder()
        let ds = try ImageFolderDataset(root: root)
        XCTAssertEqual(ds.classIdentifiers, ["001.cat", "002.dog"])
        XCTAssertEqual(ds.classNames, ["cat", "dog"])
        XCTAssertEqual(ds.count, 5)
        XCTAssertEqual((0..<5).map { ds.label(at: $0) }, [0, 0, 1, 1, 1])
        XCTAssertEqual(ds.files.map { ($0 as NSString).lastPathComponent }, ["a.png", "b.jpg", "c.png", "d.png", "e.JPG"])

        // RGB PNG round-trips exactly.
        XCTAssertEqual(try ds.loadImage(at: 0), patternImage(width: 8, height: 6))
        // JPEG of a constant image decodes close to the constant.
        let jpg = try ds.loadImage(at: 1)
        XCTAssertEqual(jpg.channels, 3)
        XCTAssertEqual(jpg.width, 16)
        XCTAssertTrue(jpg.pixels.allSatisfy { abs(Int($0) - 200) <= 2 })
        // Gray PNG → replicated RGB.
        let gray = try ds.loadImage(at: 2)
        let g = patternImage(width: 5, height: 4, channels: 1)
        XCTAssertEqual(gray.channels, 3)
        XCTAssertEqual(gray[3, 2, 0], g[3, 2, 0])
        XCTAssertEqual(gray[3, 2, 2], g[3, 2, 0])
        // RGBA PNG → alpha dropped, colour kept.
        let rgba = try ds.loadImage(at: 3)
        let src = patternImage(width: 4, height: 3, channels: 4)
        XCTAssertEqual(rgba.channels, 3)
        XCTAssertEqual(rgba[2, 1, 0], src[2, 1, 0])
        XCTAssertEqual(rgba[2, 1, 2], src[2, 1, 2])
        // Gray JPEG → RGB.
        let gj = try ds.loadImage(at: 4)
        XCTAssertEqual(gj.channels, 3)
        XCTAssertTrue(gj.pixels.allSatisfy { abs(Int($0) - 77) <= 2 })

        XCTAssertEqual(try ImageFolderDataset(root: root, limit: 2).count, 2)
    }

    func testCMYKJPEG() throws {
        // Adobe-style inverted CMYK: stored C=M=Y=255 (no ink), K=128 → mid gray.
        var cmyk = DecodedImage(width: 8, height: 8, channels: 4, fill: 255)
        for i in 0..<64 { cmyk.pixels[4 * i + 3] = 128 }
        let bytes = try ImageEncoder.jpeg(cmyk, quality: 100)
        let rgb = try ImageDecoder.decode(bytes, source: "cmyk.jpg")
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertTrue(rgb.pixels.allSatisfy { abs(Int($0) - 128) <= 3 }, "\(rgb.pixels.prefix(6))")
    }

    func testEmptyClassAndMissingRoot() throws {
        let root = try makeFolder()
        try FileManager.default.createDirectory(atPath: root + "/003.empty", withIntermediateDirectories: true)
        assertDataError(try ImageFolderDataset(root: root), contains: ["003.empty", "no images"])
        let ds = try ImageFolderDataset(root: root, allowEmptyClasses: true)
        XCTAssertEqual(ds.classNames, ["cat", "dog", "empty"])
        XCTAssertEqual(ds.labelCounts(), [2, 3, 0])
        assertDataError(try ImageFolderDataset(root: root + "/missing"), contains: ["missing", "not found"])
        let flat = try makeTempDirectory(self, "flat")
        assertDataError(try ImageFolderDataset(root: flat), contains: [flat, "no class folders"])
    }

    func testCorruptJPEGFailsNamingFileOrIsSkipped() throws {
        let root = try makeFolder()
        let bad = root + "/001.cat/c_bad.jpg"
        try FileIO.write([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8], to: bad)
        let strict = try ImageFolderDataset(root: root)
        XCTAssertEqual(strict.count, 6)
        let badIndex = strict.files.firstIndex(of: bad)!
        assertDataError(try strict.loadImage(at: badIndex), contains: [bad, "JPEG"])

        let pipeline = TransformPipeline([Resize(width: 4, height: 4)])
        let loader = try DataLoader(dataset: strict, pipeline: pipeline, batchSize: 2, shuffle: false, workers: 2)
        let it = loader.batches(epoch: 0)
        XCTAssertNotNil(try it.next())
        assertDataError(try it.next(), contains: [bad])
        XCTAssertNil(try it.next(), "an error ends the epoch")

        let lenient = try ImageFolderDataset(root: root, skipBadImages: true)
        let loader2 = try DataLoader(dataset: lenient, pipeline: pipeline, batchSize: 3, shuffle: false, workers: 2)
        let it2 = loader2.batches(epoch: 0)
        var seen: [Int] = []
        while let b = try it2.next() { seen += b.indices; XCTAssertEqual(b.shape, [3, 3, 4, 4]) }
        XCTAssertEqual(seen.count, 6)
        XCTAssertFalse(seen.contains(badIndex))
        XCTAssertEqual(it2.skippedSamples, 1)
        XCTAssertEqual(lenient.skippedFiles, [bad])
        XCTAssertEqual(lenient.skippedImageCount, 1)
        XCTAssertEqual(lenient.findBadImages().map(\.index), [badIndex])
    }

    func testImageList() throws {
        let root = try makeFolder()
        let files = [root + "/002.dog/d.png", root + "/001.cat/a.png"]
        let ds = try ImageListDataset(files: files, labels: [1, 0], classNames: ["cat", "dog"])
        XCTAssertEqual(ds.count, 2)
        XCTAssertEqual(ds.label(at: 0), 1)
        XCTAssertEqual(try ds.loadImage(at: 1), patternImage(width: 8, height: 6))
        assertDataError(try ImageListDataset(files: [root + "/zz.jpg"], labels: [0], classNames: ["a"]), contains: ["zz.jpg", "not found"])
        assertDataError(try ImageListDataset(files: files, labels: [1, 2], classNames: ["cat", "dog"]), contains: ["a.png", "label 2"])
        let loader = try DataLoader(dataset: ds, pipeline: TransformPipeline([Resize(width: 3, height: 3)]), batchSize: 1, shuffle: false, workers: 1)
        var labels: [Int32] = []
        try loader.forEachBatch(epoch: 0) { labels += $0.labels }
        XCTAssertEqual(labels, [1, 0])
    }

    func testNotAnImage() {
        assertDataError(try ImageDecoder.decode(Array("hello".utf8), source: "x.png"), contains: ["x.png", "not a JPEG or PNG"])
        assertDataError(try ImageDecoder.decode([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], source: "y.png"), contains: ["y.png", "PNG"])
    }

    func testStratifiedSplit() throws {
        let images = (0..<30).map { _ in DecodedImage(width: 1, height: 1, channels: 1, fill: 0) }
        let labels = (0..<30).map { $0 < 20 ? 0 : 1 } // 20 of class 0, 10 of class 1
        let ds = try InMemoryDataset(images: images, labels: labels, classNames: ["a", "b"])
        let (train, val) = try ds.stratifiedSplit(validationFraction: 0.2, seed: 7)
        XCTAssertEqual(val.labelCounts(), [4, 2])
        XCTAssertEqual(train.labelCounts(), [16, 8])
        XCTAssertTrue(Set(train.indices).isDisjoint(with: val.indices))
        XCTAssertEqual(Set(train.indices + val.indices).count, 30)
        let again = try ds.stratifiedSplit(validationFraction: 0.2, seed: 7)
        XCTAssertEqual(again.validation.indices, val.indices)
        let other = try ds.stratifiedSplit(validationFraction: 0.2, seed: 8)
        XCTAssertNotEqual(other.validation.indices, val.indices)
        XCTAssertEqual(ds.prefix(4).count, 4)
    }
}
