import Foundation

/// A parsed IDX file (the MNIST container format): unsigned-byte data with its dimensions.
/// Header: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then one
/// big-endian UInt32 per dimension; the data follows in row-major order.
public struct IDXFile: Sendable {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    /// Reads and validates an IDX file (gzip-compressed or not). `expectedRank`, if given,
    /// is the required number of dimensions.
    public static func read(path: String, expectedRank: Int? = nil) throws -> IDXFile {
        let raw = try FileIO.readMaybeGzip(path)
        return try parse(raw, path: path, expectedRank: expectedRank)
    }

    /// Parses IDX bytes; `path` is only used in error messages.
    public static func parse(_ raw: [UInt8], path: String, expectedRank: Int? = nil) throws -> IDXFile {
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
        let headerSize = 4 + 4 * rank
        guard raw.count >= headerSize else {
            throw DataError(.format, path: path, "truncated IDX file: header needs \(headerSize) bytes, file has \(raw.count)")
        }
        var dims: [Int] = []
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let v = Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3])
            dims.append(v)
            let (t, overflow) = total.multipliedReportingOverflow(by: v)
            guard !overflow, t < (1 << 40) else {
                throw DataError(.format, path: path, "IDX dimensions \(dims) are implausibly large")
            }
            total = t
        }
        let available = raw.count - headerSize
        if available < total {
            throw DataError(.format, path: path,
                            "truncated IDX file: dimensions \(dims) need \(total) data bytes, found \(available)")
        }
        if available > total {
            throw DataError(.format, path: path,
                            "IDX file has \(available - total) unexpected trailing bytes after \(total) data bytes (dimensions \(dims))")
        }
        return IDXFile(dimensions: dims, bytes: Array(raw[headerSize...]))
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
