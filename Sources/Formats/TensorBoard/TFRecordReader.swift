import Foundation
import Support

/// Reads the records of a TFRecord file, checking both checksums of each. A last record cut
/// short (a process killed while writing it) ends the file without an error, as TensorBoard
/// reads it; `truncatedTail` tells how many bytes were left over.
public struct TFRecordReader {
    public let path: String
    /// The records' data, in file order.
    public let records: [[UInt8]]
    /// Bytes after the last whole record (0 for a file closed cleanly).
    public let truncatedTail: Int

    /// Reads every record of the file at `url`.
    public init(contentsOf url: URL) throws {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw TFRecordError(path: url.path, problem: "cannot be read (\(error.localizedDescription))")
        }
        try self.init(bytes: bytes, path: url.path)
    }

    /// Reads every record of `bytes`; `path` names them in errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        self.path = path
        var records: [[UInt8]] = []
        var at = 0
        while bytes.count - at >= 12 {
            let lengthBytes = bytes[at..<(at + 8)]
            let storedLengthCRC = TFRecordFraming.littleEndianValue(bytes[(at + 8)..<(at + 12)], as: UInt32.self)
            guard CRC32C(lengthBytes).masked == storedLengthCRC else {
                throw TFRecordError(path: path, problem: "record \(records.count + 1) at byte \(at): the length's checksum does not match (not a TFRecord file, or damaged)")
            }
            let length = TFRecordFraming.littleEndianValue(lengthBytes, as: UInt64.self)
            guard length <= UInt64(bytes.count - at - TFRecordFraming.overhead) else { break }  // cut short
            let start = at + 12, end = start + Int(length)
            let data = Array(bytes[start..<end])
            let storedDataCRC = TFRecordFraming.littleEndianValue(bytes[end..<(end + 4)], as: UInt32.self)
            guard CRC32C(data).masked == storedDataCRC else {
                throw TFRecordError(path: path, problem: "record \(records.count + 1) at byte \(at): the data's checksum does not match (damaged)")
            }
            records.append(data)
            at = end + 4
        }
        self.records = records
        truncatedTail = bytes.count - at
    }
}
