import Foundation
import Support
import XCTest
@testable import Data

final class CIFARTests: XCTestCase {
    func testCIFAR10RoundTrip() throws {
        let root = try makeTempDirectory(self)
        let dir = root + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var all: [DecodedImage] = []
        for b in 1...5 {
            let images = (0..<3).map { patternImage(width: 32, height: 32, seed: b * 10 + $0) }
            all += images
            try CIFAR10Dataset.writeBatch(labels: (0..<3).map { (b + $0) % 10 }, images: images, to: dir + "/data_batch_\(b).bin")
        }
        try CIFAR10Dataset.writeBatch(labels: [9, 8], images: [patternImage(width: 32, height: 32, seed: 99), patternImage(width: 32, height: 32, seed: 98)], to: dir + "/test_batch.bin")
        try "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n".write(toFile: dir + "/batches.meta.txt", atomically: true, encoding: .utf8)

        let train = try CIFAR10Dataset(directory: root, split: .train)
        XCTAssertEqual(train.count, 15)
        XCTAssertEqual(train.classNames.count, 10)
        XCTAssertEqual(train.classNames[9], "truck")
        XCTAssertEqual(train.label(at: 4), (2 + 1) % 10) // batch 2, record 1
        XCTAssertEqual(try train.loadImage(at: 4), all[4])
        XCTAssertTrue(train.sourceDescription(at: 4).hasSuffix("data_batch_2.bin#1"))
        let test = try CIFAR10Dataset(directory: dir, split: .test, limit: 1)
        XCTAssertEqual(test.count, 1)
        XCTAssertEqual(test.label(at: 0), 9)
        XCTAssertEqual(try test.loadImage(at: 0), patternImage(width: 32, height: 32, seed: 99))
    }

    func testCIFAR10BadSizeAndLabel() throws {
        let dir = try makeTempDirectory(self)
        try CIFAR10Dataset.writeBatch(labels: [1, 2], images: [patternImage(width: 32, height: 32), patternImage(width: 32, height: 32)], to: dir + "/test_batch.bin")
        var bytes = try FileIO.read(dir + "/test_batch.bin")
        bytes.removeLast(5)
        try FileIO.write(bytes, to: dir + "/test_batch.bin")
        assertDataError(try CIFAR10Dataset(directory: dir, split: .test), contains: ["test_batch.bin", "not a multiple of the 3073-byte"])
        try CIFAR10Dataset.writeBatch(labels: [1, 12], images: [patternImage(width: 32, height: 32), patternImage(width: 32, height: 32)], to: dir + "/test_batch.bin")
        assertDataError(try CIFAR10Dataset(directory: dir, split: .test), contains: ["test_batch.bin", "record 1", "label 12"])
        assertDataError(try CIFAR10Dataset(directory: dir, split: .train), contains: ["data_batch_1.bin", "not found"])
    }

    func testCIFAR100FineAndCoarse() throws {
        let root = try makeTempDirectory(self)
        let dir = root + "/cifar-100-binary"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let images = (0..<4).map { patternImage(width: 32, height: 32, seed: $0) }
        try CIFAR100Dataset.writeFile(coarseLabels: [0, 19, 5, 7], fineLabels: [4, 99, 50, 0], images: images, to: dir + "/train.bin")
        let fine = try CIFAR100Dataset(directory: root, split: .train)
        XCTAssertEqual(fine.count, 4)
        XCTAssertEqual(fine.classNames.count, 100)
        XCTAssertEqual((0..<4).map { fine.label(at: $0) }, [4, 99, 50, 0])
        XCTAssertEqual(fine.classNames[4], "beaver")
        XCTAssertEqual(try fine.loadImage(at: 2), images[2])
        let coarse = try CIFAR100Dataset(directory: dir, split: .train, labelKind: .coarse)
        XCTAssertEqual(coarse.classNames.count, 20)
        XCTAssertEqual((0..<4).map { coarse.label(at: $0) }, [0, 19, 5, 7])
        XCTAssertEqual(coarse.fineLabel(at: 1), 99)
        // Names from the file when present.
        try ((0..<20).map { "super\($0)" }.joined(separator: "\n")).write(toFile: dir + "/coarse_label_names.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try CIFAR100Dataset(directory: dir, split: .train, labelKind: .coarse).classNames[3], "super3")
        // A CIFAR-10 file is not a CIFAR-100 file.
        try CIFAR10Dataset.writeBatch(labels: [1], images: [images[0]], to: dir + "/test.bin")
        assertDataError(try CIFAR100Dataset(directory: dir, split: .test), contains: ["test.bin", "3074-byte"])
        // Fine label out of range.
        try CIFAR100Dataset.writeFile(coarseLabels: [0], fineLabels: [100], images: [images[0]], to: dir + "/test.bin")
        assertDataError(try CIFAR100Dataset(directory: dir, split: .test), contains: ["test.bin", "label 100"])
    }
}
