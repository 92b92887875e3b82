import Foundation
import Support
import XCTest
import SafeTensorsFormat
import PyTorchFormat

/// Weights files built to be expensive or to break the readers: zip directories with offsets
/// beyond the file (ZIP64 values of 2^63 and more, which ZIPFoundation would trap on), tensors
/// claiming more elements than memory or `Int` holds, and pickle bombs. Each is a few hundred
/// bytes built here, and each is refused with an error naming the file and the problem
/// (docs/robustness.md, "Bad weights files", lists them with the bounds they rely on).
final class BadWeightsFileTests: XCTestCase {
    // MARK: building files

    /// A zip archive of stored entries; `centralExtra` gives an entry's extra field (and may
    /// change its 32-bit fields) in the central directory, `beforeEnd` bytes go between the
    /// directory and the end of central directory record.
    func zip(_ entries: [(name: String, bytes: [UInt8])],
             centralExtra: (Int, inout [UInt8]) -> [UInt8] = { _, _ in [] }, beforeEnd: (Int, Int) -> [UInt8] = { _, _ in [] }) -> [UInt8] {
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        var out: [UInt8] = [], directory: [UInt8] = []
        for (i, e) in entries.enumerated() {
            var crc = CRC32()
            crc.update(e.bytes)
            let name = Array(e.name.utf8)
            // version, flags, method 0, time, date, CRC-32, sizes, name length, extra length
            let common = le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(crc.value), 4)
                + le(UInt64(e.bytes.count), 4) + le(UInt64(e.bytes.count), 4) + le(UInt64(name.count), 2)
            var fields = common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(out.count), 4) // extra and comment length, disk, attributes, offset
            let extra = centralExtra(i, &fields)
            fields[24..<26] = ArraySlice(le(UInt64(extra.count), 2))
            directory += le(0x0201_4B50, 4) + le(20, 2) + fields + name + extra
            out += le(0x0403_4B50, 4) + common + le(0, 2) + name + e.bytes
        }
        let directoryOffset = out.count
        out += directory
        out += beforeEnd(directoryOffset, directory.count)
        out += le(0x0605_4B50, 4) + le(0, 4) + le(UInt64(entries.count), 2) + le(UInt64(entries.count), 2)
            + le(UInt64(directory.count), 4) + le(UInt64(directoryOffset), 4) + le(0, 2)
        return out
    }

    static func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    /// Pickle opcodes for an int (LONG1 of 8 bytes), a string and a tuple of ints.
    static func int(_ v: Int) -> [UInt8] { [0x8A, 8] + le(UInt64(bitPattern: Int64(v)), 8) }
    static func string(_ s: String) -> [UInt8] { [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
    static func ints(_ v: [Int]) -> [UInt8] { [0x28] + v.flatMap(int) + [0x74] }

    /// `{name: _rebuild_tensor_v2(storage, offset, shape, strides, False, OrderedDict())}` for
    /// each view, the storages being FloatStorages named by key with `count` elements.
    static func stateDict(_ views: [(name: String, key: String, count: Int, offset: Int, shape: [Int], strides: [Int])]) -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02, 0x7D]
        for v in views {
            p += string(v.name) + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]
            p += [0x28] + string("storage") + Array("ctorch\nFloatStorage\n".utf8) + string(v.key) + string("cpu") + int(v.count) + [0x74, 0x51]
            p += int(v.offset) + ints(v.shape) + ints(v.strides) + [0x89] + Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]
            p += [0x74, 0x52, 0x73]
        }
        return p + [0x2E]
    }

    /// A `.pth` of `pickle` and float storages of the given element counts (zeros), keys "0", "1", ...
    func pth(_ pickle: [UInt8], storages: [Int]) -> Data {
        Data(zip([("archive/data.pkl", pickle)] + storages.enumerated().map { ("archive/data/\($0.offset)", [UInt8](repeating: 0, count: 4 * $0.element)) }))
    }

    func assertRefused(_ data: Data, _ path: String, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        XCTAssertThrowsError(try PyTorchFile.read(data: data, path: path), file: file, line: line) { e in
            XCTAssertTrue(e is PyTorchFileError, "\(e)", file: file, line: line)
            for f in [path] + fragments { XCTAssertTrue("\(e)".contains(f), "'\(e)' lacks '\(f)'", file: file, line: line) }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "a refusal should be immediate", file: file, line: line)
    }

    // MARK: zip directories

    func testTheBuilderMakesAReadableFile() throws {
        let file = pth(Self.stateDict([("w", "0", 6, 0, [2, 3], [3, 1])]), storages: [6])
        let tensors = try PyTorchFile.read(data: file, path: "built.pth")
        XCTAssertEqual(tensors["w"], SafeTensor(shape: [2, 3], values: [Float](repeating: 0, count: 6)))
    }

    /// The fuzzing finding: a ZIP64 end of central directory record whose directory offset is
    /// 2^64 - 129, which ZIPFoundation converted to `off_t` with a trap.
    func testFuzzingFindingZIP64DirectoryOffsetIsRefused() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "finding-zip64-directory-offset.pth", withExtension: nil, subdirectory: "Fixtures/pth"))
        let data = try Data(contentsOf: url)
        assertRefused(data, "finding.pth", "not a valid .pth", "central directory (offset 18446744073709551487", "beyond the file's 1407 bytes")
        XCTAssertThrowsError(try PyTorchFile.read(contentsOf: url)) { XCTAssertTrue("\($0)".contains(url.path), "\($0)") }
        XCTAssertThrowsError(try WeightsFile.read(contentsOf: url)) { XCTAssertTrue("\($0)".contains("beyond the file's 1407 bytes"), "\($0)") }
    }

    /// The same built from scratch, and a ZIP64 record put out of the file by its locator.
    func testZIP64EndRecordsBeyondTheFileAreRefused() {
        let good = pth(Self.stateDict([("w", "0", 1, 0, [1], [1])]), storages: [1])
        func zip64(offset: UInt64, recordAt: UInt64?) -> Data {
            var bytes = [UInt8](good)
            let end = bytes.count - 22
            let record = Self.le(0x0606_4B50, 4) + Self.le(44, 8) + Self.le(45, 2) + Self.le(45, 2) + Self.le(0, 8)
                + Self.le(2, 8) + Self.le(2, 8) + Self.le(UInt64(bytes[end + 12]) | UInt64(bytes[end + 13]) << 8, 8) + Self.le(offset, 8)
            let locator = Self.le(0x0706_4B50, 4) + Self.le(0, 4) + Self.le(recordAt ?? UInt64(end), 8) + Self.le(1, 4)
            bytes.insert(contentsOf: record + locator, at: end)
            return Data(bytes)
        }
        assertRefused(zip64(offset: 1 << 63, recordAt: nil), "zip64.pth", "central directory (offset 9223372036854775808")
        assertRefused(zip64(offset: 0, recordAt: UInt64.max), "zip64.pth", "ZIP64 end of central directory locator", "offset 18446744073709551615")
        // A well-formed ZIP64 end record (as a writer of large files makes) is read.
        let directoryOffset = UInt64(good[good.count - 6]) | UInt64(good[good.count - 5]) << 8
        XCTAssertEqual(try PyTorchFile.read(data: zip64(offset: directoryOffset, recordAt: nil), path: "zip64.pth").keys.sorted(), ["w"])
    }

    /// A central directory entry whose ZIP64 extra field puts its local header, or its sizes,
    /// at 2^63 and more; and an entry whose 32-bit offset is past the end.
    func testCentralDirectoryEntriesBeyondTheFileAreRefused() {
        let pickle = Self.stateDict([("w", "0", 1, 0, [1], [1])])
        let entries = [("archive/data.pkl", pickle), ("archive/data/0", [UInt8](repeating: 0, count: 4))]
        func zip64Extra(_ index: Int, offset: UInt64? = nil, size: UInt64? = nil) -> Data {
            Data(zip(entries, centralExtra: { i, fields in
                guard i == index else { return [] }
                var values: [UInt8] = []
                if let size {  // uncompressed, then compressed
                    fields[14..<22] = ArraySlice([UInt8](repeating: 0xFF, count: 8))
                    values += Self.le(size, 8) + Self.le(size, 8)
                }
                if let offset {
                    fields[36..<40] = ArraySlice([UInt8](repeating: 0xFF, count: 4))
                    values += Self.le(offset, 8)
                }
                return Self.le(1, 2) + Self.le(UInt64(values.count), 2) + values
            }))
        }
        assertRefused(zip64Extra(1, offset: 1 << 63), "entry.pth", "central directory entry 1 offset 9223372036854775808 beyond the file's")
        assertRefused(zip64Extra(0, offset: UInt64.max - 7), "entry.pth", "central directory entry 0 offset 18446744073709551608")
        assertRefused(zip64Extra(1, size: 1 << 63), "entry.pth", "central directory entry 1 compressed size 9223372036854775808")
        let past = Data(zip(entries, centralExtra: { i, fields in
            if i == 1 { fields[36..<40] = ArraySlice(Self.le(100_000, 4)) }
            return []
        }))
        assertRefused(past, "entry.pth", "central directory entry 1 offset 100000 beyond the file's \(past.count) bytes")
        // No end of central directory record at all: refused without scanning the whole file.
        assertRefused(Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 200_000)), "noend.pth", "no end of central directory record")
    }

    // MARK: tensors claiming too much

    func testEnormousShapesAreRefusedBeforeAnyAllocation() {
        // 2^40 elements viewed (stride 0, as expand makes) over a storage of one float.
        assertRefused(pth(Self.stateDict([("w", "0", 1, 0, [1 << 20, 1 << 20], [0, 0])]), storages: [1]), "huge.pth",
                      "tensor 'w'", "copy 1099511627776 elements out of their storages, more than the storages' 1 elements plus 16777216")
        // A shape whose product overflows Int.
        assertRefused(pth(Self.stateDict([("w", "0", 1, 0, [1 << 32, 1 << 32, 1 << 32], [0, 0, 0])]), storages: [1]), "overflow.pth",
                      "tensor 'w'", "has too many elements")
        // A storage claiming 2^40 elements, with 4 bytes in the archive.
        assertRefused(pth(Self.stateDict([("w", "0", 1 << 40, 0, [1], [1])]), storages: [1]), "storage.pth",
                      "storage 0 has 4 bytes, but 1099511627776 elements of F32 need 4398046511104")
        // A storage offset past the data.
        assertRefused(pth(Self.stateDict([("w", "0", 4, 1 << 40, [2], [1])]), storages: [4]), "offset.pth",
                      "reaches element 1099511627777 of a storage of 4")
        // Strides whose reach overflows Int.
        assertRefused(pth(Self.stateDict([("w", "0", 4, 0, [2, 2], [Int.max, 1])]), storages: [4]), "strides.pth", "overflow")
        // 1,000 views of most of one storage of 100,000 floats: each would be a copy, 1,000 times the storage.
        let views = (0..<1000).map { (name: "w\($0)", key: "0", count: 100_000, offset: 1, shape: [99_999], strides: [1]) }
        assertRefused(pth(Self.stateDict(views), storages: [100_000]), "views.pth", "the views up to it copy", "more than the storages' 100000 elements")
    }

    /// Views within the bound are still read: slices that partition a storage, several names
    /// for a whole one (tied weights), and an expanded view.
    func testSlicesTiedWeightsAndExpandedViewsAreStillRead() throws {
        let views = [("a", "0", 6, 0, [2], [1]), ("b", "0", 6, 2, [4], [1]), ("c", "0", 6, 0, [6], [1]), ("d", "0", 6, 0, [6], [1]),
                     ("e", "0", 6, 0, [1000, 6], [0, 1])]
        let tensors = try PyTorchFile.read(data: pth(Self.stateDict(views), storages: [6]), path: "slices.pth")
        XCTAssertEqual(tensors.mapValues(\.shape), ["a": [2], "b": [4], "c": [6], "d": [6], "e": [1000, 6]])
    }

    func testSafeTensorsClaimingEnormousShapesAreRefused() {
        func file(_ json: String, _ data: [UInt8] = [0, 0, 0, 0]) -> Data {
            let h = Array(json.utf8)
            return Data(Self.le(UInt64(h.count), 8) + h + data)
        }
        func refused(_ data: Data, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensors.read(data: data, path: "bad.safetensors"), line: line) { e in
                XCTAssertTrue("\(e)".contains("bad.safetensors") && "\(e)".contains(fragment), "'\(e)' lacks '\(fragment)'", line: line)
            }
        }
        refused(file(#"{"w":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,4]}}"#), "has 4 bytes but shape [1048576, 1048576] of F32 needs 4398046511104")
        refused(file(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#), "has too many elements")
        refused(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[1099511627776,1099511627780]}}"#), "run past the data section (4 bytes)")
        // JSON nested 100,000 deep in the header.
        refused(file(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)), "header is not valid JSON")
    }

    // MARK: pickle bombs

    func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
        try RestrictedUnpickler(allowedGlobals: [], reduce: { _, _, _ in .none }).load(bytes)
    }

    func assertPickleRefused(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        XCTAssertThrowsError(try unpickle(bytes), file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(fragment), "'\(e)' lacks '\(fragment)'", file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "a refusal should be immediate", file: file, line: line)
    }

    func testPickleBombsAreRefused() {
        // 100,000 nested lists (EMPTY_LIST, APPEND of the one before), tuples (MARK ... TUPLE), and 100,000 open marks.
        var lists: [UInt8] = [0x5D]
        for _ in 0..<100_000 { lists += [0x71, 0x00, 0x5D, 0x68, 0x00, 0x61] }
        assertPickleRefused(lists + [0x2E], "nested deeper than 64")
        assertPickleRefused([UInt8](repeating: 0x28, count: 100_000) + [0x4E] + [UInt8](repeating: 0x74, count: 100_000) + [0x2E], "nested deeper than 64")
        assertPickleRefused([UInt8](repeating: 0x28, count: 100_000) + [0x4E, 0x2E], "100000 open marks")
        // Self-reference through the memo: a list appended to itself, a dict set into itself (as value and as key).
        assertPickleRefused([0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E], "puts a list into itself")
        assertPickleRefused([0x5D, 0x71, 0x00, 0x28, 0x68, 0x00, 0x65, 0x2E], "puts a list into itself")
        assertPickleRefused([0x7D, 0x71, 0x00, 0x4E, 0x68, 0x00, 0x73, 0x2E], "puts a dict into itself")
        assertPickleRefused([0x7D, 0x71, 0x00, 0x68, 0x00, 0x4E, 0x73, 0x2E], "puts a dict into itself")
        // A memo fetch of an index never stored, and of a huge one.
        assertPickleRefused([0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], "memo entry 4294967295 was never stored")
        // DUP, which would repeat a value without a byte per copy.
        assertPickleRefused([0x4E] + [UInt8](repeating: 0x32, count: 1000) + [0x2E], "DUP")
        // Strings and bytes claiming more than the pickle holds: refused before any copy.
        assertPickleRefused([0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x61, 0x2E], "truncated")
        assertPickleRefused([0x8D] + Self.le(1 << 63, 8) + [0x2E], "truncated")
        assertPickleRefused([0x8E] + Self.le(UInt64.max, 8) + [0x2E], "truncated")
    }

    /// Sharing through the memo is not copying: 60 levels of tuples, each of 1,000 references
    /// to the one below, are read in the pickle's size (the tree they stand for has 1,000^60
    /// leaves, and nothing walks it).
    func testMemoSharingDoesNotMultiply() throws {
        // 60 MARKs (all at stack depth 0), (); then per level: BINPUT 0, 999 × BINGET 0, TUPLE.
        var p: [UInt8] = [UInt8](repeating: 0x28, count: 60) + [0x29]
        for _ in 0..<60 { p += [0x71, 0] + (0..<999).flatMap { _ in [0x68, 0] } + [0x74] }
        guard case .tuple(let top) = try unpickle(p + [0x2E]) else { return XCTFail("not a tuple") }
        XCTAssertEqual(top.count, 1000)
        // Four more levels (61 + 4 > 64) are refused.
        assertPickleRefused(p + [0x85, 0x85, 0x85, 0x85, 0x2E], "nested deeper than 64")
    }
}
