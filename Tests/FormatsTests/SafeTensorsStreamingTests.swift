import Foundation
import Support
import Tensors
import XCTest
import SafeTensorsFormat

/// Tensors streamed into a safetensors file and read back straight into tensors: the
/// layout other readers accept, the CRC-32 over the whole file, corruption and truncation
/// detected, an atomic write that leaves the previous file on failure.
final class SafeTensorsStreamingTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testStreamedFileReadsBackThroughBothReaders() throws {
        let flat = Tensor((0..<10).map { Float($0) * 0.5 }, shape: [10], on: HostMemory.shared)
        let w = flat.view(offset: 0, shape: [2, 3])
        let b = flat.view(offset: 6, shape: [4])
        let url = dir.appendingPathComponent("m.safetensors")
        try SafeTensorsWriter.write([("layer.weight", .tensor(w)), ("layer.bias", .tensor(b)), ("count", .integer(41))],
                                    metadata: ["note": "streamed"], checksumKey: "crc", to: url.path)
        // The whole-file reader validates every byte range and type.
        let whole = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(whole.tensors["layer.weight"], SafeTensor(shape: [2, 3], values: [0, 0.5, 1, 1.5, 2, 2.5]))
        XCTAssertEqual(whole.tensors["layer.bias"]?.values, [3, 3.5, 4, 4.5])
        XCTAssertEqual(whole.tensors["count"], SafeTensor(shape: [], values: [41]))
        XCTAssertEqual(whole.metadata["note"], "streamed")
        // The mapped reader loads straight into tensors and checks the CRC.
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, ["layer.weight", "layer.bias", "count"])
        XCTAssertEqual(file.verifyChecksum(key: "crc"), true)
        XCTAssertNil(file.verifyChecksum(key: "absent"))
        let target = Tensor(shape: [2, 3], on: HostMemory.shared)
        try file.load("layer.weight", into: target)
        XCTAssertEqual(target.toArray(), [0, 0.5, 1, 1.5, 2, 2.5])
        XCTAssertThrowsError(try file.load("layer.bias", into: target)) { e in XCTAssertTrue("\(e)".contains("layer.bias"), "\(e)") }
    }

    func testEveryFlippedByteIsDetected() throws {
        let url = dir.appendingPathComponent("c.safetensors")
        let t = Tensor((0..<64).map(Float.init), shape: [8, 8], on: HostMemory.shared)
        try SafeTensorsWriter.write([("t", .tensor(t))], metadata: ["k": "v"], checksumKey: "crc", to: url.path)
        let original = try Data(contentsOf: url)
        var crc = CRC32()
        original.withUnsafeBytes { crc.update($0) }
        // Flip a byte in the data section and one in the JSON metadata value.
        for position in [original.count - 3, original.count - 256 - 10] {
            var bad = original
            bad[position] ^= 0x01
            let badURL = dir.appendingPathComponent("bad-\(position).safetensors")
            try bad.write(to: badURL)
            if let file = try? SafeTensorsFile(contentsOf: badURL) {
                XCTAssertNotEqual(file.verifyChecksum(key: "crc"), true, "flip at \(position) undetected")
            }
        }
    }

    func testAFailedWriteLeavesThePreviousFile() throws {
        let url = dir.appendingPathComponent("keep.safetensors")
        let t = Tensor([1, 2], shape: [2], on: HostMemory.shared)
        try SafeTensorsWriter.write([("t", .tensor(t))], metadata: [:], to: url.path)
        let before = try Data(contentsOf: url)
        let blocker = dir.appendingPathComponent(".keep.safetensors.tmp-\(getpid())")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        XCTAssertThrowsError(try SafeTensorsWriter.write([("t", .tensor(t))], metadata: ["x": "y"], to: url.path)) { e in
            XCTAssertTrue("\(e)".contains("previous file is unchanged") && "\(e)".contains("keep.safetensors"), "\(e)")
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
    }
}
