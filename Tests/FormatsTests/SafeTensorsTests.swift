import Foundation
import Tensors
import XCTest
import SafeTensorsFormat

final class SafeTensorsTests: XCTestCase {
    let path = "/fixtures/made-up.safetensors"

    /// A file from a header string (padded with spaces to a multiple of 8, like the Python
    /// library does) and raw data bytes.
    func file(header: String, data: [UInt8], headerLength: UInt64? = nil) -> Data {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = [UInt8]()
        var n = headerLength ?? UInt64(h.count)
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        return Data(out + h + data)
    }

    func le16(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
    func le32(_ values: [UInt32]) -> [UInt8] { values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } } }
    func le64(_ values: [UInt64]) -> [UInt8] { values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } } }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Asserts that reading `data` fails with an error naming the path and mentioning `expected`.
    func assertRejects(_ data: Data, mentioning expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafeTensors.read(data: data, path: path)
            XCTFail("accepted a malformed file (expected: \(expected))", file: file, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description, file: file, line: line)
            XCTAssertTrue(error.description.contains(expected), "\(error.description) lacks '\(expected)'", file: file, line: line)
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
        }
    }

    // MARK: Round trip

    func testF32RoundTripThroughAFile() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("model.safetensors")
        let w = SafeTensor(shape: [2, 3, 1, 2], values: (0..<12).map { Float($0) * 0.5 - 2 })
        let b = SafeTensor(shape: [2], values: [.pi, -Float.greatestFiniteMagnitude])
        let scalar = SafeTensor(shape: [], values: [42])
        let empty = SafeTensor(shape: [0, 3], values: [])
        let odd = SafeTensor(shape: [1], values: [Float.leastNonzeroMagnitude])
        let tensors: [(name: String, tensor: SafeTensor)] = [
            ("features.0.weight", w), ("features.0.bias", b), ("scalar", scalar), ("empty", empty), ("name \"quoted\"\\ é", odd),
        ]
        let metadata = ["format": "pt", "note": "line\nbreak \"quoted\""]
        try SafeTensors.write(tensors, metadata: metadata, to: url)

        let (read, readMetadata) = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(readMetadata, metadata)
        XCTAssertEqual(read.count, tensors.count)
        for (name, tensor) in tensors { XCTAssertEqual(read[name], tensor, name) }

        // Atomic write leaves no temporary file behind; overwriting works.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.safetensors"])
        try SafeTensors.write([("only", scalar)], metadata: [:], to: url)
        let again = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(again.tensors, ["only": scalar])
        XCTAssertEqual(again.metadata, [:])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.safetensors"])
    }

    func testEncodeLayoutMatchesThePythonLibrary() throws {
        // Sorted by name, contiguous offsets, header padded with spaces to a multiple of 8 —
        // byte-identical to safetensors.numpy.save({"b": [[1, 2]], "a": [3]}) as float32.
        let data = try SafeTensors.encode([("b", SafeTensor(shape: [1, 2], values: [1, 2])), ("a", SafeTensor(shape: [1], values: [3]))], metadata: [:])
        let expectedHeader = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}"#
        XCTAssertEqual(data, file(header: expectedHeader, data: le32([Float(3).bitPattern, Float(1).bitPattern, Float(2).bitPattern])))
        XCTAssertEqual((data.count - 8 - 12) % 8, 0)
        XCTAssertEqual(try SafeTensors.encode([], metadata: [:]), file(header: "{}", data: []))
    }

    func testEncodeRejectsBadTensors() {
        for (tensors, expected) in [
            ([("x", SafeTensor(shape: [2, 2], values: [1, 2, 3]))], "3 values"),
            ([("x", SafeTensor(shape: [-1], values: []))], "negative"),
            ([("x", SafeTensor(shape: [1], values: [1])), ("x", SafeTensor(shape: [1], values: [2]))], "twice"),
            ([("__metadata__", SafeTensor(shape: [1], values: [1]))], "__metadata__"),
        ] as [([(name: String, tensor: SafeTensor)], String)] {
            XCTAssertThrowsError(try SafeTensors.encode(tensors, metadata: [:])) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
        let url = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/x.safetensors")
        XCTAssertThrowsError(try SafeTensors.write([("x", SafeTensor(shape: [1], values: [1]))], metadata: [:], to: url)) { error in
            XCTAssertTrue("\(error)".hasPrefix(url.path + ": "), "\(error)")
        }
    }

    // MARK: Other dtypes

    func testF16Decode() throws {
        // 1.0, -2.5, 65504 (largest half), 2^-24 (smallest subnormal), 2^-15 (a subnormal),
        // -0, +inf, 2^-14 (smallest normal), 0.333251953125 (0x3555).
        let bits: [UInt16] = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x0200, 0x8000, 0x7C00, 0x0400, 0x3555]
        let data = file(header: #"{"h":{"dtype":"F16","shape":[3,3],"data_offsets":[0,18]}}"#, data: le16(bits))
        let t = try XCTUnwrap(SafeTensors.read(data: data, path: path).tensors["h"])
        XCTAssertEqual(t.shape, [3, 3])
        XCTAssertEqual(t.values, [1.0, -2.5, 65504, 0x1p-24, 0x1p-15, -0.0, .infinity, 0x1p-14, 0.333251953125])
        XCTAssertEqual(t.values[5].sign, .minus)
        // NaN stays NaN.
        let nan = file(header: #"{"n":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, data: le16([0x7E00]))
        XCTAssertTrue(try XCTUnwrap(SafeTensors.read(data: nan, path: path).tensors["n"]).values[0].isNaN)
    }

    func testBF16Decode() throws {
        // 1.0, -2.5, largest finite bfloat16, smallest subnormal, 0.0078125, -inf.
        let bits: [UInt16] = [0x3F80, 0xC020, 0x7F7F, 0x0001, 0x3C00, 0xFF80]
        let data = file(header: #"{"b":{"dtype":"BF16","shape":[6],"data_offsets":[0,12]}}"#, data: le16(bits))
        let t = try XCTUnwrap(SafeTensors.read(data: data, path: path).tensors["b"])
        XCTAssertEqual(t.values, [1.0, -2.5, Float(bitPattern: 0x7F7F_0000), Float(bitPattern: 0x0001_0000), 0.0078125, -.infinity])
        XCTAssertEqual(t.values[2], 3.3895314e38)
    }

    func testIntegerDtypesAndMetadataAndMixedLayout() throws {
        // As torch writes a BatchNorm state dict: num_batches_tracked is an I64 scalar; labels I32.
        let header = #"{"__metadata__":{"format":"pt"},"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"#
            + #""labels":{"dtype":"I32","shape":[3],"data_offsets":[8,20]},"w":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},"#
            + #""u":{"dtype":"U8","shape":[2],"data_offsets":[24,26]},"f":{"dtype":"F64","shape":[1],"data_offsets":[26,34]}}"#
        let bytes = le64([7]) + le32([2, UInt32(bitPattern: -1), 9]) + le32([Float(0.25).bitPattern]) + [255, 3] + le64([(-1.5 as Double).bitPattern])
        let (tensors, metadata) = try SafeTensors.read(data: file(header: header, data: bytes), path: path)
        XCTAssertEqual(metadata, ["format": "pt"])
        XCTAssertEqual(tensors["bn.num_batches_tracked"], SafeTensor(shape: [], values: [7]))
        XCTAssertEqual(tensors["labels"], SafeTensor(shape: [3], values: [2, -1, 9]))
        XCTAssertEqual(tensors["w"], SafeTensor(shape: [1], values: [0.25]))
        XCTAssertEqual(tensors["u"], SafeTensor(shape: [2], values: [255, 3]))
        XCTAssertEqual(tensors["f"], SafeTensor(shape: [1], values: [-1.5]))
    }

    func testReadsFromADataSlice() throws {
        let whole = Data([0xAA, 0xBB]) + (try SafeTensors.encode([("x", SafeTensor(shape: [2], values: [1, -1]))], metadata: [:]))
        let slice = whole[2...]
        XCTAssertEqual(try SafeTensors.read(data: slice, path: path).tensors["x"]?.values, [1, -1])
    }

    // MARK: Writing other dtypes

    func testMixedDtypeLayoutMatchesThePythonLibrary() throws {
        // Byte-identical to safetensors.torch.save({"a": ones(1), "b": tensor(3, int64), "c": zeros(2),
        // "e": ones(1, float16), "f": ones(1, bfloat16)}): I64 first, then F32, BF16, F16, each by name.
        let data = try SafeTensors.encode([
            ("a", SafeTensor(shape: [1], values: [1]), .f32), ("b", SafeTensor(shape: [], values: [3]), .i64),
            ("c", SafeTensor(shape: [2], values: [0, 0]), .f32), ("e", SafeTensor(shape: [1], values: [1]), .f16),
            ("f", SafeTensor(shape: [1], values: [1]), .bf16),
        ] as [(name: String, tensor: SafeTensor, dtype: SafeTensors.DType)], metadata: [:])
        let header = #"{"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"#
            + #""c":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"f":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},"#
            + #""e":{"dtype":"F16","shape":[1],"data_offsets":[22,24]}}"#
        XCTAssertEqual(data, file(header: header, data: le64([3]) + le32([Float(1).bitPattern, 0, 0]) + le16([0x3F80, 0x3C00])))
    }

    func testI64RoundTripAndRejection() throws {
        let values: [Float] = [0, 1234, -7, 0x1p24, -0x1p40]
        let data = try SafeTensors.encode([("n", SafeTensor(shape: [5], values: values), .i64)], metadata: [:])
        XCTAssertTrue(String(decoding: data.prefix(80), as: UTF8.self).contains(#""dtype":"I64""#))
        XCTAssertEqual(try SafeTensors.read(data: data, path: path).tensors["n"]?.values, values)
        for bad: Float in [0.5, .nan, .infinity, 0x1p63] {
            XCTAssertThrowsError(try SafeTensors.encode([("n", SafeTensor(shape: [], values: [bad]), .i64)], metadata: [:])) { error in
                XCTAssertTrue("\(error)".contains("tensor 'n' cannot be stored as I64"), "\(error)")
            }
        }
        XCTAssertThrowsError(try SafeTensors.encode([("u", SafeTensor(shape: [1], values: [1]), .u8)], metadata: [:])) { error in
            XCTAssertTrue("\(error)".contains("writing dtype U8 is not supported"), "\(error)")
        }
    }

    func testF16EncodeIsExactOnHalvesAndRoundsToNearestEven() throws {
        // Every finite half value and ±inf survives Float → F16 → Float.
        let halves = (0...UInt16.max).filter { $0 & 0x7C00 != 0x7C00 || $0 & 0x3FF == 0 }
        let floats = try SafeTensors.read(data: file(header: #"{"h":{"dtype":"F16","shape":[\#(halves.count)],"data_offsets":[0,\#(2 * halves.count)]}}"#,
                                                     data: le16(halves)), path: path).tensors["h"]!.values
        let encoded = try SafeTensors.encode([("h", SafeTensor(shape: [floats.count], values: floats), .f16)], metadata: [:])
        XCTAssertEqual(Array(encoded.suffix(2 * halves.count)), le16(halves))
        // Rounding: ties to even, overflow to inf, underflow to (signed) zero, subnormals, NaN.
        let cases: [(Float, UInt16)] = [
            (1 + 0x1p-11, 0x3C00), (1 + 3 * 0x1p-11, 0x3C02), (1 + 0x1p-11 + 0x1p-20, 0x3C01), (65519, 0x7BFF), (65520, 0x7C00),
            (1e10, 0x7C00), (-1e10, 0xFC00), (0x1p-25, 0x0000), (0x1.8p-25, 0x0001), (-0x1p-26, 0x8000), (3 * 0x1p-25, 0x0002),
            (0x1.ffcp-15, 0x0400), (0x1.ff8p-15, 0x03FF), (.infinity, 0x7C00),
        ]
        let data = try SafeTensors.encode([("c", SafeTensor(shape: [cases.count + 1], values: cases.map(\.0) + [.nan]), .f16)], metadata: [:])
        let got = Array(data.suffix(2 * (cases.count + 1)))
        XCTAssertEqual(Array(got.prefix(2 * cases.count)), le16(cases.map(\.1)))
        XCTAssertEqual(got[2 * cases.count + 1] & 0x7E, 0x7E, "NaN stays a quiet NaN")
    }

    func testBF16EncodeRoundsToNearestEven() throws {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2.5, 0xC020), (Float(bitPattern: 0x3F80_8000), 0x3F80), (Float(bitPattern: 0x3F81_8000), 0x3F82),
            (Float(bitPattern: 0x3F80_8001), 0x3F81), (.greatestFiniteMagnitude, 0x7F80), (-.infinity, 0xFF80), (0x1p-133, 0x0001),
        ]
        let data = try SafeTensors.encode([("b", SafeTensor(shape: [cases.count + 1], values: cases.map(\.0) + [.nan]), .bf16)], metadata: [:])
        let values = try SafeTensors.read(data: data, path: path).tensors["b"]!.values
        XCTAssertEqual(Array(data.suffix(2 * (cases.count + 1)).prefix(2 * cases.count)), le16(cases.map(\.1)))
        XCTAssertTrue(values.last!.isNaN)
    }

    func testTypedWriteThroughAFile() throws {
        let url = try temporaryDirectory().appendingPathComponent("state.safetensors")
        try SafeTensors.write([("features.1.num_batches_tracked", SafeTensor(shape: [], values: [42]), .i64),
                               ("features.1.weight", SafeTensor(shape: [2], values: [0.5, -1]), .f32)],
                              metadata: ["format": "pt"], to: url)
        let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(metadata, ["format": "pt"])
        XCTAssertEqual(tensors["features.1.num_batches_tracked"], SafeTensor(shape: [], values: [42]))
        XCTAssertEqual(tensors["features.1.weight"], SafeTensor(shape: [2], values: [0.5, -1]))
    }

    // MARK: Malformed files

    func testMissingFileNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString).safetensors")
        XCTAssertThrowsError(try SafeTensors.read(contentsOf: url)) { error in
            XCTAssertTrue("\(error)".hasPrefix(url.path + ": "), "\(error)")
        }
    }

    func testMalformedFilesAreRejected() {
        let one = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let eight = le32([Float(1).bitPattern, Float(2).bitPattern])
        // Sanity: the well-formed version is accepted.
        XCTAssertNoThrow(try SafeTensors.read(data: file(header: one, data: eight), path: path))

        assertRejects(Data(), mentioning: "shorter than")
        assertRejects(Data([1, 0, 0]), mentioning: "shorter than")
        assertRejects(file(header: one, data: eight, headerLength: 4096), mentioning: "past the end")
        assertRejects(file(header: one, data: eight, headerLength: UInt64.max), mentioning: "absurdly large")
        assertRejects(file(header: one, data: eight, headerLength: 1 << 40), mentioning: "absurdly large")
        assertRejects(file(header: "", data: []), mentioning: "empty")
        assertRejects(file(header: #"{"x": {"dtype": "F32", "#, data: eight), mentioning: "not valid JSON")
        assertRejects(file(header: "\u{FF}\u{FE}", data: []), mentioning: "not valid JSON")
        assertRejects(file(header: "[1, 2, 3]", data: []), mentioning: "not a JSON object")
        assertRejects(file(header: #""just a string""#, data: []), mentioning: "JSON")
        assertRejects(file(header: #"{"x": 3}"#, data: []), mentioning: "not a JSON object")
        assertRejects(file(header: #"{"x":{"dtype":"F24","shape":[2],"data_offsets":[0,8]}}"#, data: eight), mentioning: "dtype 'F24'")
        assertRejects(file(header: #"{"x":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}"#, data: eight), mentioning: "dtype")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight), mentioning: "negative dimension")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}"#, data: eight), mentioning: "negative dimension")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, data: eight), mentioning: "non-integer")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}}"#, data: eight), mentioning: "non-integer")
        assertRejects(file(header: #"{"x":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eight), mentioning: "shape")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, data: eight), mentioning: "data_offsets")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,1e30]}}"#, data: eight), mentioning: "data_offsets")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, data: eight), mentioning: "negative data_offsets")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: eight), mentioning: "run past the data section")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: eight), mentioning: "begin 8 > end 0")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight), mentioning: "needs 12")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: eight), mentioning: "too many")
        // Overlap: y covers bytes 4..<8 which x also covers.
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
                      mentioning: "overlap")
        // Same range twice.
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: eight),
                      mentioning: "overlap")
        // Hole at the start, hole in the middle, trailing bytes.
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight), mentioning: "hole")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, data: eight + eight),
                      mentioning: "hole")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight), mentioning: "trailing")
        assertRejects(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: eight + [0]), mentioning: "trailing")
        // Metadata must be an object of strings.
        assertRejects(file(header: #"{"__metadata__":{"epoch":3}}"#, data: []), mentioning: "not a string")
        assertRejects(file(header: #"{"__metadata__":[1]}"#, data: []), mentioning: "__metadata__")
    }

    func testTruncationsOfAValidFileNeverCrash() throws {
        let data = try SafeTensors.encode([("a", SafeTensor(shape: [2, 2], values: [1, 2, 3, 4])), ("b", SafeTensor(shape: [3], values: [5, 6, 7]))],
                                          metadata: ["k": "v"])
        XCTAssertNoThrow(try SafeTensors.read(data: data, path: path))
        for length in 0..<data.count {
            XCTAssertThrowsError(try SafeTensors.read(data: data.prefix(length), path: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)")
            }
        }
        // Flipping any single byte either still parses or gives a SafeTensorsError — never a crash.
        for i in 0..<data.count {
            var corrupted = data
            corrupted[i] ^= 0xFF
            do { _ = try SafeTensors.read(data: corrupted, path: path) } catch { XCTAssertTrue(error is SafeTensorsError, "\(error)") }
        }
    }
}
