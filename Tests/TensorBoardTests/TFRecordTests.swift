import Foundation
import Support
import TensorBoard
import XCTest

final class TFRecordTests: XCTestCase {
    func testFrameLayoutIsLengthChecksumDataChecksum() {
        let framed = TFRecordFraming.frame(Array("abc".utf8))
        XCTAssertEqual(framed.count, 3 + 16)
        XCTAssertEqual(Array(framed[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = CRC32C([3, 0, 0, 0, 0, 0, 0, 0]).masked
        XCTAssertEqual(Array(framed[8..<12]), (0..<4).map { UInt8(truncatingIfNeeded: lengthCRC >> ($0 * 8)) })
        XCTAssertEqual(Array(framed[12..<15]), Array("abc".utf8))
        let dataCRC = CRC32C(Array("abc".utf8)).masked
        XCTAssertEqual(Array(framed[15..<19]), (0..<4).map { UInt8(truncatingIfNeeded: dataCRC >> ($0 * 8)) })
    }

    func testRecordsRoundTripThroughAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tfrecord-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let records: [[UInt8]] = [[], Array("one".utf8), (0..<1000).map { UInt8($0 % 251) }]
        do {
            let w = try TFRecordWriter(appendingTo: url)
            for r in records.prefix(2) { try w.write(r) }
        }
        try TFRecordWriter(appendingTo: url).write(records[2])  // appends, keeps the first two
        let read = try TFRecordReader(contentsOf: url)
        XCTAssertEqual(read.records, records)
        XCTAssertEqual(read.truncatedTail, 0)
    }

    func testARecordCutShortEndsTheFileWithoutError() throws {
        let whole = TFRecordFraming.frame(Array("first".utf8)) + TFRecordFraming.frame(Array("second".utf8))
        let read = try TFRecordReader(bytes: Array(whole.dropLast(3)))
        XCTAssertEqual(read.records, [Array("first".utf8)])
        XCTAssertEqual(read.truncatedTail, 16 + 6 - 3)
    }

    func testADamagedRecordIsAnErrorNamingTheFileAndRecord() {
        var bytes = TFRecordFraming.frame(Array("first".utf8)) + TFRecordFraming.frame(Array("second".utf8))
        bytes[21 + 13] ^= 1  // a data byte of the second record
        XCTAssertThrowsError(try TFRecordReader(bytes: bytes, path: "x.tfevents")) { error in
            XCTAssertEqual("\(error)", "x.tfevents: record 2 at byte 21: the data's checksum does not match (damaged)")
        }
    }
}
