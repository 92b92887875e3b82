import CZlibShim

/// The CRC-32 of zlib (the checksum of gzip and PNG), accumulated over pieces.
public struct CRC32: Equatable, Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, Int(UInt32.max >> 1))
            value = UInt32(crc32(UInt(value), rest.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(n)))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The checksum as eight lower-case hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
