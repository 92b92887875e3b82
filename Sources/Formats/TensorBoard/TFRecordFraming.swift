import Support

/// TensorFlow's TFRecord framing of one record: the length as a little-endian UInt64, the
/// masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the data (each checksum a
/// little-endian UInt32).
public enum TFRecordFraming {
    /// Bytes around the data of every record: 8 of length, 4 + 4 of checksums.
    public static let overhead = 16

    /// The record holding `data`, framed.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + overhead)
        let length = littleEndianBytes(UInt64(data.count))
        out += length
        out += littleEndianBytes(CRC32C(length).masked)
        out += data
        out += littleEndianBytes(CRC32C(data).masked)
        return out
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func littleEndianValue<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as: T.Type) -> T {
        bytes.enumerated().reduce(T(0)) { $0 | T($1.element) << ($1.offset * 8) }
    }
}
