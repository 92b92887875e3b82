/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord files,
/// accumulated over pieces; `masked` is TensorFlow's rotation and offset of it.
public struct CRC32C: Equatable, Sendable {
    /// The checksum of the bytes given so far.
    public private(set) var value: UInt32 = 0

    public init() {}

    /// The checksum of `bytes`.
    public init<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 { update(bytes) }

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var c = ~value
        Self.table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        value = ~c
    }

    /// TensorFlow's masked form, stored in TFRecord files: `((crc >> 15) | (crc << 17)) + 0xa282ead8`.
    public var masked: UInt32 { ((value >> 15) | (value << 17)) &+ 0xA282_EAD8 }
}
