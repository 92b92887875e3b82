import CZlibShim
import Foundation

/// A parsed IDX file (the MNIST container format): unsigned-byte data with its dimensions.
/// Header: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then one
/// big-endian UInt32 per dimension; the data follows in row-major order.
public struct IDXFile: Sendable {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    /// Reads and validates an IDX file (gzip-compressed or not). `expectedRank`, if given,
    /// is the required number of dimensions.
    ///
    /// The header is read first and the data size it claims is checked before any memory is
    /// set aside for the data: against the file's size for a raw file; for a gzip file the
    /// data is taken as it inflates (memory grows with what the stream really holds, never
    /// beyond the claim) and the stream must end exactly there. So a header claiming 2³¹
    /// images costs nothing, and a compressed stream cannot inflate past what its header says.
    public static func read(path: String, expectedRank: Int? = nil) throws -> IDXFile {
        guard FileIO.exists(path) else { throw DataError(.fileNotFound, path: path, "file not found") }
        guard let gz = gzopen(path, "rb") else { throw DataError(.io, path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { gzclose(gz) }
        gzbuffer(gz, 1 << 18)
        func inflate(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            var done = 0
            while done < buffer.count {
                let n = gzread(gz, buffer.baseAddress! + done, UInt32(Swift.min(buffer.count - done, 1 << 30)))
                if n < 0 {
                    var code: Int32 = 0
                    let msg = gzerror(gz, &code).map { String(cString: $0) } ?? "unknown"
                    throw DataError(.format, path: path, "gzip decompression failed (truncated or corrupt): \(msg)")
                }
                if n == 0 { break }
                done += Int(n)
            }
            return done
        }
        var magic = [UInt8](repeating: 0, count: 4)
        let got = try magic.withUnsafeMutableBytes { try inflate(into: $0) }
        let rank = try checkMagic(Array(magic.prefix(got)), path: path, expectedRank: expectedRank)
        var sizes = [UInt8](repeating: 0, count: 4 * rank)
        let sizeBytes = try sizes.withUnsafeMutableBytes { try inflate(into: $0) }
        let header = magic + sizes.prefix(sizeBytes)
        let (dims, total) = try dimensions(header, rank: rank, path: path)
        let headerSize = 4 + 4 * rank
        if gzdirect(gz) != 0 {  // not compressed: the file's size must match before anything is read
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                try checkSize(available: Int(info.st_size) - headerSize, total: total, dims: dims, path: path)
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Swift.min(total, 1 << 24))
        var chunk = [UInt8](repeating: 0, count: Swift.min(Swift.max(total, 1), 1 << 20))
        while bytes.count < total {
            let want = Swift.min(chunk.count, total - bytes.count)
            let n = try chunk.withUnsafeMutableBytes { try inflate(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            bytes.append(contentsOf: chunk[0..<n])
            if n < want { break }
        }
        if bytes.count < total { try checkSize(available: bytes.count, total: total, dims: dims, path: path) }
        var extra: UInt8 = 0
        if try withUnsafeMutableBytes(of: &extra, { try inflate(into: $0) }) > 0 {
            throw DataError(.format, path: path, "IDX file has unexpected trailing bytes after \(total) data bytes (dimensions \(dims))")
        }
        return IDXFile(dimensions: dims, bytes: bytes)
    }

    /// Parses IDX bytes; `path` is only used in error messages.
    public static func parse(_ raw: [UInt8], path: String, expectedRank: Int? = nil) throws -> IDXFile {
        let rank = try checkMagic(Array(raw.prefix(4)), path: path, expectedRank: expectedRank)
        let headerSize = 4 + 4 * rank
        let (dims, total) = try dimensions(Array(raw.prefix(headerSize)), rank: rank, path: path)
        try checkSize(available: raw.count - headerSize, total: total, dims: dims, path: path)
        return IDXFile(dimensions: dims, bytes: Array(raw[headerSize...]))
    }

    /// Checks the first four bytes (zero, zero, type, rank); returns the rank.
    private static func checkMagic(_ raw: [UInt8], path: String, expectedRank: Int?) throws -> Int {
        guard raw.count >= 4 else {
            throw DataError(.format, path: path, "truncated IDX file: \(raw.count) bytes, no complete header")
        }
        guard raw[0] == 0, raw[1] == 0 else {
            throw DataError(.format, path: path, String(format: "bad IDX magic number 0x%02x%02x%02x%02x (expected 0x0000TTNN)", raw[0], raw[1], raw[2], raw[3]))
        }
        guard raw[2] == 0x08 else {
            throw DataError(.format, path: path, String(format: "unsupported IDX data type 0x%02x (only unsigned byte, 0x08, is supported)", raw[2]))
        }
        let rank = Int(raw[3])
        guard rank >= 1 else { throw DataError(.format, path: path, "IDX file declares 0 dimensions") }
        if let expectedRank, expectedRank != rank {
            throw DataError(.format, path: path, "IDX file has \(rank) dimensions, expected \(expectedRank)")
        }
        return rank
    }

    /// The dimensions in a whole header and the data bytes they claim (at most 2⁴⁰).
    private static func dimensions(_ header: [UInt8], rank: Int, path: String) throws -> (dims: [Int], total: Int) {
        let headerSize = 4 + 4 * rank
        guard header.count >= headerSize else {
            throw DataError(.format, path: path, "truncated IDX file: header needs \(headerSize) bytes, file has \(header.count)")
        }
        var dims: [Int] = []
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let v = Int(header[o]) << 24 | Int(header[o + 1]) << 16 | Int(header[o + 2]) << 8 | Int(header[o + 3])
            dims.append(v)
            let (t, overflow) = total.multipliedReportingOverflow(by: v)
            guard !overflow, t < (1 << 40) else {
                throw DataError(.format, path: path, "IDX dimensions \(dims) are implausibly large")
            }
            total = t
        }
        return (dims, total)
    }

    /// Compares the data bytes present with those the dimensions need.
    private static func checkSize(available: Int, total: Int, dims: [Int], path: String) throws {
        if available < total {
            throw DataError(.format, path: path,
                            "truncated IDX file: dimensions \(dims) need \(total) data bytes, found \(Swift.max(available, 0))")
        }
        if available > total {
            throw DataError(.format, path: path,
                            "IDX file has \(available - total) unexpected trailing bytes after \(total) data bytes (dimensions \(dims))")
        }
    }

    /// Serialises unsigned-byte data as IDX (used by tests and tools).
    public static func encode(dimensions: [Int], bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions {
            out += [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16),
                    UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)]
        }
        return out + bytes
    }

    /// Writes an IDX file, gzip-compressed when `gzip` is true.
    public static func write(dimensions: [Int], bytes: [UInt8], to path: String, gzip: Bool) throws {
        let data = encode(dimensions: dimensions, bytes: bytes)
        if gzip { try FileIO.writeGzip(data, to: path) } else { try FileIO.write(data, to: path) }
    }
}
