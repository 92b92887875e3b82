import Foundation
import XCTest
@testable import SafeTensorsFormat

import PyTorchFormat

/// Sizes in safetensors headers and in the earlier VGGSWIFT container are checked against
/// the file before anything is allocated for them; empty files are named as such.
final class SafeTensorsBoundsTests: XCTestCase {
    func temporaryFile(_ bytes: [UInt8], _ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bounds-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func safetensors(_ json: String, _ data: [UInt8]) -> [UInt8] {
        let h = Array(json.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + data
    }

    func assertError(_ body: @autoclosure () throws -> Any, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            for f in fragments { XCTAssertTrue("\(e)".contains(f), "'\(e)' lacks '\(f)'", file: file, line: line) }
        }
    }

    func testATerabyteTensorIsRefusedFromItsOffsets() throws {
        let bytes = safetensors(#"{"w":{"dtype":"F32","shape":[262144,1048576],"data_offsets":[0,1099511627776]}}"#, [1, 2, 3, 4])
        let url = try temporaryFile(bytes, "terabyte.safetensors")
        assertError(try SafeTensors.read(contentsOf: url), url.path, "run past the data section (4 bytes)")
        assertError(try SafeTensorsFile(contentsOf: url), url.path, "run past the data section")
        let header = safetensors(String(repeating: " ", count: 16), []).prefix(8)
        var claim = Array(header)
        claim[7] = 0x80   // 2⁶³ bytes of header
        assertError(try SafeTensors.read(data: Data(claim + Array("{}".utf8)), path: "x.safetensors"), "x.safetensors", "absurdly large")
    }

    func testEmptyFilesAreNamedAsSuch() throws {
        let url = try temporaryFile([], "empty.safetensors")
        assertError(try SafeTensors.read(contentsOf: url), url.path, "file is empty")
        assertError(try SafeTensorsFile(contentsOf: url), url.path, "file is empty")
        assertError(try WeightsFile.read(contentsOf: url), url.path, "file is empty")
        assertError(try PyTorchFile.read(contentsOf: url), url.path, "file is empty")
        struct Failure: Error, CustomStringConvertible { let description: String }
        assertError(try LegacyContainer(contentsOf: url, fail: { Failure(description: "\(url.path): \($0)") }), url.path, "file is empty")
    }

    /// A VGGSWIFT file (magic, version 1, header length, header, tensors, checksum) with a
    /// correct checksum, so that the checks behind it are reached.
    func legacy(headerLength: UInt64? = nil, header: [UInt8], tensors: [UInt8]) -> [UInt8] {
        var out = Array("VGGSWIFT".utf8)
        withUnsafeBytes(of: UInt32(1).littleEndian) { out += $0 }
        withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) { out += $0 }
        out += header + tensors
        withUnsafeBytes(of: LegacyContainer.checksum(out).littleEndian) { out += $0 }
        return out
    }

    func testLegacyContainerSizesAreCheckedAgainstTheFile() throws {
        struct Failure: Error, CustomStringConvertible { let description: String }
        let fail: (String) -> Error = { Failure(description: $0) }
        let json = Array("{}".utf8), floats: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]
        let good = try temporaryFile(legacy(header: json, tensors: floats), "good.ckpt")
        let container = try LegacyContainer(contentsOf: good, fail: fail)
        XCTAssertEqual(try container.tensors([("a", 1), ("b", 1)], fail: fail), ["a": [1], "b": [2]])
        // Tensor counts that overflow or exceed what is left: refused before allocating.
        assertError(try container.tensors([("a", 1 << 62)], fail: fail), "tensor a of 4611686018427387904 values runs past the end", "8 bytes left")
        assertError(try container.tensors([("a", Int.max)], fail: fail), "runs past the end")
        assertError(try container.tensors([("a", -1)], fail: fail), "runs past the end")
        assertError(try container.tensors([("a", 1)], fail: fail), "4 unexpected bytes after the tensors")
        // Header lengths near 2⁶⁴ or 2⁶³ (negative as Int) and just past the end.
        for length: UInt64 in [.max, 1 << 63, (1 << 63) - 1, UInt64(json.count + floats.count + 1)] {
            let url = try temporaryFile(legacy(headerLength: length, header: json, tensors: floats), "length-\(length).ckpt")
            assertError(try LegacyContainer(contentsOf: url, fail: fail), "header length \(length) runs past the end of the file")
        }
    }
}
