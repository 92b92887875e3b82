import Foundation
import Tensors
import XCTest
import SafeTensorsFormat
import PyTorchFormat

/// `torch.save` files read without Python: the fixtures of tools/make_pth_fixtures.py read back
/// to exactly the values torch saved (Tests/TensorsTests/Fixtures/pth/expected.safetensors);
/// malicious, corrupt, truncated and legacy files are refused with errors that name the file
/// and the problem, and nothing in them runs.
final class PyTorchFileTests: XCTestCase {
    static let marker = "/tmp/vgg-swift-pth-pwned"

    func url(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/pth"), "no fixture \(name)")
    }

    func expected(_ stem: String) throws -> [String: SafeTensor] {
        let all = try SafeTensors.read(contentsOf: try url("expected.safetensors")).tensors
        var out: [String: SafeTensor] = [:]
        for (k, v) in all where k.hasPrefix(stem + "/") { out[String(k.dropFirst(stem.count + 1))] = v }
        XCTAssertFalse(out.isEmpty, "no expected values for \(stem)")
        return out
    }

    /// Reads `<stem>.pth` and compares every tensor bit for bit (NaN-free fixtures).
    func assertReadsBack(_ stem: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let tensors = try PyTorchFile.read(contentsOf: try url(stem + ".pth"))
        let want = try expected(stem)
        XCTAssertEqual(Set(tensors.keys), Set(want.keys), stem, file: file, line: line)
        for (name, t) in want {
            let got = try XCTUnwrap(tensors[name], "\(stem): no \(name)", file: file, line: line)
            XCTAssertEqual(got.shape, t.shape, "\(stem)/\(name)", file: file, line: line)
            XCTAssertEqual(got.values.map(\.bitPattern), t.values.map(\.bitPattern), "\(stem)/\(name)", file: file, line: line)
        }
    }

    func testFloat32() throws {
        try assertReadsBack("f32")
        let t = try PyTorchFile.read(contentsOf: try url("f32.pth"))
        XCTAssertEqual(t["scalar"], SafeTensor(shape: [], values: [2.5]))
        XCTAssertEqual(t["empty"], SafeTensor(shape: [0, 3], values: []))
        XCTAssertEqual(t["long"], SafeTensor(shape: [3], values: [1, -2, 1234]))
    }

    func testHalfAndBFloat16() throws {
        try assertReadsBack("f16")
        try assertReadsBack("bf16")
        let special = try XCTUnwrap(try PyTorchFile.read(contentsOf: try url("f16.pth"))["special"])
        XCTAssertEqual(special.values[2], 65504)
        XCTAssertEqual(special.values[3].sign, .minus)
    }

    func testSharedStorages() throws {
        try assertReadsBack("shared")
        let t = try PyTorchFile.read(contentsOf: try url("shared.pth"))
        let base = try XCTUnwrap(t["base"]).values
        XCTAssertEqual(t["row"]?.values, Array(base[5..<10]))
        XCTAssertEqual(t["column"]?.values, (0..<4).map { base[$0 * 5 + 2] })
    }

    func testNonContiguousViews() throws { try assertReadsBack("noncontiguous") }
    func testParameters() throws { try assertReadsBack("parameter") }
    func testStateDictInsideACheckpointDict() throws { try assertReadsBack("nested") }
    func testDeflatedEntries() throws { try assertReadsBack("deflated") }
    func testBigEndianFile() throws { try assertReadsBack("bigendian") }

    func testStorageReferencesKeepSharing() throws {
        let data = try Data(contentsOf: try url("shared.pth"))
        let refs = try PyTorchFile.tensorReferences(data: data, path: "shared.pth").tensors
        XCTAssertEqual(refs.map(\.name), ["base", "row", "column", "block"])
        XCTAssertEqual(Set(refs.map(\.tensor.storage.key)).count, 1)
        let block = refs[3].tensor
        XCTAssertEqual(block.offset, 7); XCTAssertEqual(block.shape, [2, 3]); XCTAssertEqual(block.strides, [5, 1])
        XCTAssertFalse(block.isContiguous)
    }

    // MARK: refused files

    /// Asserts that reading `name` fails with a `PyTorchFileError` naming the file and saying all of `mentions`.
    func assertRefused(_ name: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let u = try url(name)
        XCTAssertThrowsError(try PyTorchFile.read(contentsOf: u), name, file: file, line: line) { error in
            guard let e = error as? PyTorchFileError else { return XCTFail("\(name): \(error)", file: file, line: line) }
            XCTAssertEqual(e.path, u.path, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(u.path + ": "), e.description, file: file, line: line)
            for m in mentions { XCTAssertTrue(e.description.contains(m), "\(name): '\(m)' not in: \(e.description)", file: file, line: line) }
        }
        // And through the format-agnostic reader the commands use.
        XCTAssertThrowsError(try WeightsFile.read(contentsOf: u), file: file, line: line) { error in
            XCTAssertTrue(error is PyTorchFileError, "\(name): \(error)", file: file, line: line)
        }
    }

    func testMaliciousGlobalsAreRefusedAndNothingRuns() throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        try assertRefused("malicious_os_system.pth", mentions: ["refused", "global os.system", "nothing in it was executed"])
        try assertRefused("malicious_nested.pth", mentions: ["refused", "global builtins.exec"])
        try assertRefused("malicious_storage_call.pth", mentions: ["calling torch.FloatStorage"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.marker))
    }

    func testLegacyFormatSaysHowToResave() throws {
        try assertRefused("legacy.pth", mentions: ["legacy format", "re-save it with a recent PyTorch"])
        XCTAssertEqual(WeightsFile.format(of: try Data(contentsOf: try url("legacy.pth"))), .legacyPyTorch)
    }

    func testCorruptAndTruncatedFiles() throws {
        try assertRefused("truncated.pth", mentions: ["truncated"])
        try assertRefused("truncated_pickle.pth", mentions: ["data.pkl", "truncated"])
        try assertRefused("corrupt_crc.pth", mentions: ["CRC-32 mismatch", "data/0"])
        try assertRefused("bad_view.pth", mentions: ["tensor 'w'", "storage of 4"])
        try assertRefused("not_state_dict.pth", mentions: ["not a state_dict", "'epoch' holds an int"])
    }

    /// A deflated entry whose directory claims 4 GB (found by fuzzing: it was allocated before
    /// inflating) is refused before any allocation: deflate cannot expand that much.
    func testDeflatedEntryClaimingMoreThanDeflateCanMakeIsRefused() throws {
        var data = try Data(contentsOf: try url("deflated.pth"))
        // Every local header and central-directory record: uncompressed size := 0xF7000000.
        func u32(_ i: Int) -> UInt32 { data[i..<(i + 4)].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) } }
        var patched = 0
        for i in 0..<(data.count - 46) {
            let signature = u32(i)
            guard (signature == 0x0403_4B50 && data[i + 8] == 8) || (signature == 0x0201_4B50 && data[i + 10] == 8) else { continue }
            let at = signature == 0x0403_4B50 ? i + 22 : i + 24
            for (k, b) in [0x00, 0x00, 0x00, 0xF7].enumerated() { data[at + k] = UInt8(b) }
            patched += 1
        }
        XCTAssertGreaterThan(patched, 0)
        XCTAssertThrowsError(try PyTorchFile.read(data: data, path: "claims.pth")) { error in
            XCTAssertTrue("\(error)".contains("1032:1"), "\(error)")
            XCTAssertTrue("\(error)".contains("claims.pth"), "\(error)")
        }
    }

    /// Every prefix of a valid file fails cleanly (no crash, a PyTorchFileError).
    func testEveryTruncationFails() throws {
        let data = try Data(contentsOf: try url("shared.pth"))
        for n in stride(from: 0, to: data.count, by: 7) {
            XCTAssertThrowsError(try PyTorchFile.read(data: data.prefix(n), path: "cut.pth")) { error in
                XCTAssertTrue(error is PyTorchFileError, "\(n) bytes: \(error)")
            }
        }
    }

    /// Every single flipped byte either fails cleanly or (in bytes no reader checks, like
    /// timestamps) reads back the same tensors.
    func testFlippedBytesFailOrReadTheSame() throws {
        let data = try Data(contentsOf: try url("noncontiguous.pth"))
        let good = try PyTorchFile.read(data: data, path: "good.pth")
        for i in 0..<data.count {
            var bad = data
            bad[i] ^= 0x5A
            if let t = try? PyTorchFile.read(data: bad, path: "bad.pth") { XCTAssertEqual(t, good, "byte \(i)") }
        }
    }

    // MARK: the unpickler alone

    func testUnpicklerRefusesObjectOpcodes() {
        let u = RestrictedUnpickler(allowedGlobals: [], reduce: { _, _, _ in .none })
        // NEWOBJ, INST
        XCTAssertThrowsError(try u.load([0x80, 0x02, 0x29, 0x29, 0x81, 0x2E])) { e in
            XCTAssertEqual(e as? PickleError, .unsupportedOpcode(0x81, name: "NEWOBJ", at: 4))
        }
        XCTAssertThrowsError(try u.load([0x80, 0x02] + Array("(ios\nsystem\n.".utf8))) { e in
            XCTAssertTrue("\(e)".contains("INST"), "\(e)")
        }
        // Not even a named global is let through with an empty allow-list.
        XCTAssertThrowsError(try u.load(Array("cbuiltins\neval\n.".utf8))) { e in
            XCTAssertEqual(e as? PickleError, .refusedGlobal("builtins.eval", at: 0))
        }
    }

    /// Deep nesting is refused before it could exhaust the stack (when freed), by tuples,
    /// lists or dicts; a container cannot be changed once nested (so its depth is final).
    func testUnpicklerLimitsNesting() {
        let u = RestrictedUnpickler(allowedGlobals: [], reduce: { _, _, _ in .none })
        let deepTuples: [UInt8] = [0x4E] + [UInt8](repeating: 0x85, count: 200_000) + [0x2E]
        XCTAssertThrowsError(try u.load(deepTuples)) { XCTAssertTrue("\($0)".contains("nested deeper than 64"), "\($0)") }
        // [[[...]]] built bottom-up: EMPTY_LIST, then (EMPTY_LIST, swap-free) via APPEND of the previous one.
        var lists: [UInt8] = [0x5D]
        for _ in 0..<100 { lists += [0x71, 0x00, 0x5D, 0x68, 0x00, 0x61] } // BINPUT 0, EMPTY_LIST, BINGET 0, APPEND
        XCTAssertThrowsError(try u.load(lists + [0x2E])) { XCTAssertTrue("\($0)".contains("nested deeper than 64"), "\($0)") }
        // Top-down: nest a list, then fetch it from the memo and append to it.
        let topDown: [UInt8] = [0x5D, 0x5D, 0x71, 0x01, 0x61, 0x68, 0x01, 0x4E, 0x61, 0x2E]
        XCTAssertThrowsError(try u.load(topDown)) { XCTAssertTrue("\($0)".contains("already nested"), "\($0)") }
        // 60 levels are fine.
        XCTAssertNoThrow(try u.load([0x4E] + [UInt8](repeating: 0x85, count: 60) + [0x2E]))
    }

    func testUnpicklerDataOpcodes() throws {
        let u = RestrictedUnpickler(allowedGlobals: [], reduce: { _, _, _ in .none })
        // {'a': [1, -2, 300, 70000, 2**40, -1.5, None, True], 'b': ('x', b'\x01')} with memo use.
        var p: [UInt8] = [0x80, 0x04, 0x95] + [UInt8](repeating: 0, count: 8) + [0x7D, 0x94, 0x28, 0x8C, 0x01, 0x61, 0x94, 0x5D, 0x94, 0x28]
        p += [0x4B, 0x01, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x4D, 0x2C, 0x01, 0x4A, 0x70, 0x11, 0x01, 0x00]
        p += [0x8A, 0x06, 0, 0, 0, 0, 0, 1, 0x47, 0xBF, 0xF8, 0, 0, 0, 0, 0, 0, 0x4E, 0x88, 0x65]
        p += [0x8C, 0x01, 0x62, 0x8C, 0x01, 0x78, 0x43, 0x01, 0x01, 0x86, 0x75, 0x2E]
        let v = try u.load(p)
        guard case .dict(let d) = v, case .list(let l)? = d["a"], case .tuple(let t)? = d["b"] else { return XCTFail("\(v)") }
        let ints = l.items.prefix(5).compactMap { if case .int(let n) = $0 { return n } else { return nil } }
        XCTAssertEqual(ints, [1, -2, 300, 70000, 1 << 40])
        if case .float(let f) = l.items[5] { XCTAssertEqual(f, -1.5) } else { XCTFail("\(l.items[5])") }
        XCTAssertEqual(t.count, 2)
        if case .bytes(let b) = t[1] { XCTAssertEqual(b, [1]) } else { XCTFail("\(t[1])") }
        // Truncated anywhere: an error, never a crash.
        for n in 0..<p.count { XCTAssertThrowsError(try u.load(Array(p.prefix(n)))) }
    }
}
