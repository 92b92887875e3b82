import CZlib
import Foundation

/// A read-only zip archive held in memory (usually a mapped file): the central directory is
/// parsed and checked when it is opened, each entry's bytes on demand.
///
/// Entries stored (method 0) are handed out without a copy; deflated ones (method 8) are
/// inflated with zlib. Every entry read is checked against its CRC-32 and sizes. ZIP64
/// archives (and entries past 4 GiB) are read; encrypted entries, multi-disk archives and
/// other compression methods are refused. Everything is checked against the file's length,
/// so a truncated or corrupt archive gives a `ZipArchiveError`, never a crash.
public struct ZipArchive {
    /// One member of the archive, as the central directory describes it.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// 0: stored, 8: deflated.
        public let method: UInt16
        public let flags: UInt16
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        /// Offset of the entry's local header from the start of the file.
        public let localHeaderOffset: Int
    }

    /// The file the archive was read from (in errors only).
    public let path: String
    /// The entries, in central-directory order.
    public let entries: [Entry]
    private let data: Data
    private let index: [String: Int]

    /// Whether `bytes` begin like a zip file (a local file header, `PK\3\4`).
    public static func hasSignature(_ bytes: Data) -> Bool {
        bytes.count >= 4 && bytes.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04])
    }

    /// Opens the zip archive whose bytes are `data`; `path` names the file in errors.
    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        self.entries = try data.withUnsafeBytes { try Self.centralDirectory($0, path: path) }
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() where index[e.name] == nil { index[e.name] = i }
        self.index = index
    }

    /// The entry called `name`, if there is one.
    public func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Calls `body` with the uncompressed bytes of `entry` (after checking its CRC-32).
    public func withContents<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try data.withUnsafeBytes { raw in
            func fail(_ problem: String) -> ZipArchiveError { ZipArchiveError(path: path, problem: "entry '\(entry.name)': \(problem)") }
            let bytes = Reader(raw)
            let h = entry.localHeaderOffset
            guard let signature = bytes.u32(h), signature == 0x0403_4B50 else {
                throw fail("no local header at offset \(h) (the file is truncated or corrupt)")
            }
            guard let nameLength = bytes.u16(h + 26), let extraLength = bytes.u16(h + 28) else {
                throw fail("local header runs past the end of the file (truncated)")
            }
            let start = h + 30 + Int(nameLength) + Int(extraLength)
            let (end, overflow) = start.addingReportingOverflow(entry.compressedSize)
            guard !overflow, end <= raw.count else {
                throw fail("its \(entry.compressedSize) bytes run past the end of the file (\(raw.count) bytes): the file is truncated")
            }
            let stored = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            switch entry.method {
            case 0:
                guard entry.compressedSize == entry.uncompressedSize else {
                    throw fail("stored entry with compressed size \(entry.compressedSize) ≠ size \(entry.uncompressedSize)")
                }
                try check(stored, entry, fail)
                return try body(stored)
            case 8:
                let inflated = try Self.inflate(stored, expected: entry.uncompressedSize, fail: fail)
                return try inflated.withUnsafeBytes { out in
                    try check(out, entry, fail)
                    return try body(out)
                }
            default:
                throw fail("compression method \(entry.method) is not supported (only stored and deflate)")
            }
        }
    }

    /// The uncompressed bytes of the entry called `name`.
    public func contents(of name: String) throws -> Data {
        guard let e = entry(named: name) else { throw ZipArchiveError(path: path, problem: "no entry '\(name)' in the archive") }
        return try withContents(of: e) { Data($0) }
    }

    private func check(_ bytes: UnsafeRawBufferPointer, _ entry: Entry, _ fail: (String) -> ZipArchiveError) throws {
        guard bytes.count == entry.uncompressedSize else {
            throw fail("\(bytes.count) bytes where the directory says \(entry.uncompressedSize)")
        }
        var crc = CRC32()
        crc.update(bytes)
        guard crc.value == entry.crc32 else {
            throw fail("CRC-32 mismatch (stored \(hex(entry.crc32)), computed \(crc.hex)): the file is corrupt")
        }
    }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    // MARK: central directory

    /// Little-endian reads that return nil past the end instead of trapping.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }
        func u16(_ at: Int) -> UInt16? {
            guard at >= 0, at <= raw.count - 2 else { return nil }
            return UInt16(raw[at]) | UInt16(raw[at + 1]) << 8
        }
        func u32(_ at: Int) -> UInt32? {
            guard let lo = u16(at), let hi = u16(at + 2) else { return nil }
            return UInt32(lo) | UInt32(hi) << 16
        }
        func u64(_ at: Int) -> UInt64? {
            guard let lo = u32(at), let hi = u32(at + 4) else { return nil }
            return UInt64(lo) | UInt64(hi) << 32
        }
    }

    private static func centralDirectory(_ raw: UnsafeRawBufferPointer, path: String) throws -> [Entry] {
        func fail(_ problem: String) -> ZipArchiveError { ZipArchiveError(path: path, problem: problem) }
        let bytes = Reader(raw)
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes.
        var eocd: Int? = nil
        var i = raw.count - 22
        while i >= max(0, raw.count - 22 - 65535) {
            if bytes.u32(i) == 0x0605_4B50, let commentLength = bytes.u16(i + 20), i + 22 + Int(commentLength) == raw.count {
                eocd = i
                break
            }
            i -= 1
        }
        guard let eocd else {
            throw fail("no end of central directory record: not a zip file, or truncated (\(raw.count) bytes)")
        }
        guard bytes.u16(eocd + 4) == 0, bytes.u16(eocd + 6) == 0 else { throw fail("multi-disk zip archives are not supported") }
        var count = Int(bytes.u16(eocd + 10)!)
        var size = Int(bytes.u32(eocd + 12)!)
        var offset = Int(bytes.u32(eocd + 16)!)
        // ZIP64: a locator just before the record points to the ZIP64 end of central directory.
        if let locator = bytes.u32(eocd - 20), locator == 0x0706_4B50 {
            guard let at64 = bytes.u64(eocd - 12), at64 < UInt64(raw.count), bytes.u32(Int(at64)) == 0x0606_4B50,
                  let count64 = bytes.u64(Int(at64) + 32), let size64 = bytes.u64(Int(at64) + 40), let offset64 = bytes.u64(Int(at64) + 48),
                  count64 <= UInt64(raw.count), size64 <= UInt64(raw.count), offset64 <= UInt64(raw.count) else {
                throw fail("corrupt ZIP64 end of central directory record")
            }
            count = Int(count64); size = Int(size64); offset = Int(offset64)
        }
        guard offset <= raw.count, size <= raw.count - offset else {
            throw fail("the central directory (\(size) bytes at \(offset)) runs past the end of the file (\(raw.count) bytes): truncated or corrupt")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(min(count, 1 << 16))
        var p = offset
        for n in 0..<count {
            guard bytes.u32(p) == 0x0201_4B50 else { throw fail("central directory entry \(n) is corrupt (bad signature at offset \(p))") }
            guard let flags = bytes.u16(p + 8), let method = bytes.u16(p + 10), let crc = bytes.u32(p + 16),
                  let csize32 = bytes.u32(p + 20), let usize32 = bytes.u32(p + 24),
                  let nameLength = bytes.u16(p + 28), let extraLength = bytes.u16(p + 30), let commentLength = bytes.u16(p + 32),
                  let local32 = bytes.u32(p + 42) else {
                throw fail("central directory entry \(n) runs past the end of the file")
            }
            let nameStart = p + 46, extraStart = nameStart + Int(nameLength)
            let next = extraStart + Int(extraLength) + Int(commentLength)
            guard next <= offset + size else { throw fail("central directory entry \(n) runs past the directory") }
            guard let name = String(bytes: UnsafeRawBufferPointer(rebasing: raw[nameStart..<extraStart]), encoding: .utf8) else {
                throw fail("central directory entry \(n) has a name that is not UTF-8")
            }
            guard flags & 1 == 0 else { throw fail("entry '\(name)' is encrypted") }
            var usize = UInt64(usize32), csize = UInt64(csize32), local = UInt64(local32)
            // ZIP64 extended information: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
            var e = extraStart
            while e + 4 <= extraStart + Int(extraLength) {
                let id = bytes.u16(e)!, length = Int(bytes.u16(e + 2)!)
                if id == 0x0001 {
                    var q = e + 4
                    func field() throws -> UInt64 {
                        guard q + 8 <= e + 4 + length, let v = bytes.u64(q) else { throw fail("entry '\(name)' has a corrupt ZIP64 field") }
                        q += 8
                        return v
                    }
                    if usize32 == 0xFFFF_FFFF { usize = try field() }
                    if csize32 == 0xFFFF_FFFF { csize = try field() }
                    if local32 == 0xFFFF_FFFF { local = try field() }
                }
                e += 4 + length
            }
            guard usize <= UInt64(Int.max / 2), csize <= UInt64(raw.count), local < UInt64(raw.count) else {
                throw fail("entry '\(name)' has sizes or an offset beyond the file (\(raw.count) bytes): truncated or corrupt")
            }
            entries.append(Entry(name: name, method: method, flags: flags, crc32: crc,
                                 compressedSize: Int(csize), uncompressedSize: Int(usize), localHeaderOffset: Int(local)))
            p = next
        }
        return entries
    }

    /// Deflate expands its input at most 1032 times (zlib's documented limit).
    static let maxDeflateRatio = 1032

    /// Raw deflate (no zlib header) of exactly `expected` bytes. A size no deflate stream of
    /// this length can reach is refused before anything is allocated for it.
    private static func inflate(_ input: UnsafeRawBufferPointer, expected: Int, fail: (String) -> ZipArchiveError) throws -> [UInt8] {
        let (bound, overflow) = input.count.multipliedReportingOverflow(by: maxDeflateRatio)
        guard overflow || expected <= bound + 1024 else {
            throw fail("the directory says \(expected) bytes from \(input.count) compressed ones, more than deflate can "
                       + "expand to (\(maxDeflateRatio):1): the file is corrupt")
        }
        var output = [UInt8](repeating: 0, count: expected)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var status: Int32 = Z_OK
        var produced = 0
        try output.withUnsafeMutableBytes { out in
            var consumed = 0
            repeat {
                let inChunk = min(input.count - consumed, Int(UInt32.max >> 1))
                let outChunk = min(out.count - produced, Int(UInt32.max >> 1))
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed })
                stream.avail_in = UInt32(inChunk)
                stream.next_out = out.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + produced }
                stream.avail_out = UInt32(outChunk)
                status = CZlib.inflate(&stream, Z_NO_FLUSH)
                consumed += inChunk - Int(stream.avail_in)
                produced += outChunk - Int(stream.avail_out)
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw fail("corrupt deflate data (zlib status \(status))")
                }
                if status == Z_OK && inChunk - Int(stream.avail_in) == 0 && outChunk - Int(stream.avail_out) == 0 {
                    // No progress: input exhausted (truncated) or more output than the directory says.
                    throw fail(produced == expected ? "inflates to more than the \(expected) bytes the directory says"
                                                    : "deflate data ends early (truncated or corrupt)")
                }
            } while status != Z_STREAM_END
        }
        guard produced == expected else { throw fail("inflates to \(produced) bytes, the directory says \(expected)") }
        return output
    }
}
