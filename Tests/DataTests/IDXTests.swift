import Foundation
import Support
import XCTest
@testable import Data

final class IDXTests: XCTestCase {
    func writeIDXPair(dir: String, prefix: String, n: Int, gzip: Bool, labels: [UInt8]? = nil) throws -> (images: [UInt8], labels: [UInt8]) {
        var images = [UInt8](repeating: 0, count: n * 28 * 28)
        for i in 0..<images.count { images[i] = UInt8((i * 37) % 256) }
        let lab = labels ?? (0..<n).map { UInt8($0 % 10) }
        let ext = gzip ? ".gz" : ""
        try IDXFile.write(dimensions: [n, 28, 28], bytes: images, to: dir + "/\(prefix)-images-idx3-ubyte" + ext, gzip: gzip)
        try IDXFile.write(dimensions: [lab.count], bytes: lab, to: dir + "/\(prefix)-labels-idx1-ubyte" + ext, gzip: gzip)
        return (images, lab)
    }

    func testReadsRawAndGzipIdentically() throws {
        for gzip in [false, true] {
            let dir = try makeTempDirectory(self, "idx\(gzip)")
            let (images, labels) = try writeIDXPair(dir: dir, prefix: "t10k", n: 12, gzip: gzip)
            let ds = try IDXDataset(directory: dir, split: .test)
            XCTAssertEqual(ds.count, 12)
            XCTAssertEqual(ds.width, 28)
            XCTAssertEqual(ds.height, 28)
            XCTAssertEqual(ds.channels, 1)
            XCTAssertEqual(ds.classNames, IDXDataset.digitClassNames)
            XCTAssertEqual(ds.label(at: 7), Int(labels[7]))
            let im = try ds.loadImage(at: 3)
            XCTAssertEqual(im.pixels, Array(images[(3 * 784)..<(4 * 784)]))
            XCTAssertEqual(im.channels, 1)
            let limited = try IDXDataset(directory: dir, split: .test, names: .fashionMNIST, limit: 5)
            XCTAssertEqual(limited.count, 5)
            XCTAssertEqual(limited.classNames[0], "T-shirt/top")
        }
    }

    func testFashionNamesDetectedFromDirectory() throws {
        let base = try makeTempDirectory(self)
        let dir = base + "/fashion-mnist"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = try writeIDXPair(dir: dir, prefix: "train", n: 3, gzip: true)
        let ds = try IDXDataset(directory: dir, split: .train)
        XCTAssertEqual(ds.classNames, IDXDataset.fashionMNISTClassNames)
        XCTAssertEqual(ds.classNames[9], "Ankle boot")
    }

    func testMissingFilesNameTheFile() throws {
        let dir = try makeTempDirectory(self)
        assertDataError(try IDXDataset(directory: dir, split: .train), contains: ["train-images-idx3-ubyte", "not found"])
        assertDataError(try IDXDataset(directory: dir + "/nope", split: .train), contains: ["nope", "not found"])
    }

    func testTruncatedRawFile() throws {
        let dir = try makeTempDirectory(self)
        _ = try writeIDXPair(dir: dir, prefix: "train", n: 4, gzip: false)
        let path = dir + "/train-images-idx3-ubyte"
        var bytes = try FileIO.read(path)
        bytes.removeLast(100)
        try FileIO.write(bytes, to: path)
        assertDataError(try IDXDataset(directory: dir, split: .train), contains: [path, "truncated"])
    }

    func testTruncatedGzipFile() throws {
        let dir = try makeTempDirectory(self)
        _ = try writeIDXPair(dir: dir, prefix: "train", n: 50, gzip: true)
        let path = dir + "/train-images-idx3-ubyte.gz"
        let bytes = try FileIO.read(path)
        try FileIO.write(Array(bytes[0..<(bytes.count / 2)]), to: path)
        assertDataError(try IDXDataset(directory: dir, split: .train), contains: [path])
    }

    func testBadMagicAndRank() throws {
        let dir = try makeTempDirectory(self)
        let path = dir + "/x"
        try FileIO.write([0x12, 0x34, 0x08, 0x03, 0, 0, 0, 0], to: path)
        assertDataError(try IDXFile.read(path: path), contains: [path, "magic"])
        try FileIO.write(IDXFile.encode(dimensions: [2, 2], bytes: [1, 2, 3, 4]), to: path)
        assertDataError(try IDXFile.read(path: path, expectedRank: 3), contains: [path, "2 dimensions, expected 3"])
        try FileIO.write([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], to: path)
        assertDataError(try IDXFile.read(path: path), contains: [path, "data type"])
        try FileIO.write(IDXFile.encode(dimensions: [2], bytes: [1, 2, 3]), to: path)
        assertDataError(try IDXFile.read(path: path), contains: [path, "trailing"])
    }

    func testLabelCountMismatchAndRange() throws {
        let dir = try makeTempDirectory(self)
        _ = try writeIDXPair(dir: dir, prefix: "train", n: 5, gzip: false, labels: [0, 1, 2, 3])
        assertDataError(try IDXDataset(directory: dir, split: .train), contains: ["train-labels-idx1-ubyte", "label count 4", "image count 5"])
        _ = try writeIDXPair(dir: dir, prefix: "train", n: 5, gzip: false, labels: [0, 1, 2, 10, 3])
        assertDataError(try IDXDataset(directory: dir, split: .train), contains: ["train-labels-idx1-ubyte", "label 10", "sample 3"])
    }

    func testRealFashionMNIST() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST not installed at \(dir)")
        }
        let train = try IDXDataset(directory: dir, split: .train)
        let test = try IDXDataset(directory: dir, split: .test)
        XCTAssertEqual(train.count, 60000)
        XCTAssertEqual(test.count, 10000)
        XCTAssertEqual(train.width, 28)
        XCTAssertEqual(train.classNames[0], "T-shirt/top")
        XCTAssertEqual(train.labelCounts(), [Int](repeating: 6000, count: 10))
        XCTAssertEqual(test.labelCounts(), [Int](repeating: 1000, count: 10))
        let im = try train.loadImage(at: 0)
        XCTAssertGreaterThan(im.pixels.max()!, 100)
    }
}
