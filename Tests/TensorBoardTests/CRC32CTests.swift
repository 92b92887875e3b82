import Support
import XCTest

final class CRC32CTests: XCTestCase {
    func testCheckValueOfTheStandardString() {
        XCTAssertEqual(CRC32C(Array("123456789".utf8)).value, 0xE306_9283)
    }

    func testKnownVectorsOfRFC3720() {
        // iSCSI (RFC 3720, B.4): 32 bytes of zeros, of 0xFF, and an ascending run.
        XCTAssertEqual(CRC32C([UInt8](repeating: 0, count: 32)).value, 0x8A91_36AA)
        XCTAssertEqual(CRC32C([UInt8](repeating: 0xFF, count: 32)).value, 0x62A8_AB43)
        XCTAssertEqual(CRC32C((0..<32).map { UInt8($0) }).value, 0x46DD_794E)
        XCTAssertEqual(CRC32C([]).value, 0)
    }

    func testUpdatingInPiecesGivesTheWholeChecksum() {
        var c = CRC32C()
        c.update(Array("12345".utf8)); c.update(Array("6789".utf8))
        XCTAssertEqual(c, CRC32C(Array("123456789".utf8)))
    }

    func testMaskIsTensorFlowsRotationAndOffset() {
        let crc = CRC32C(Array("123456789".utf8))
        XCTAssertEqual(crc.masked, 0xC78A_B0E5)  // ((0xE3069283 >> 15) | (0xE3069283 << 17)) + 0xa282ead8, mod 2^32
        // The masked checksum of an empty record's length field (8 zero bytes), as
        // TensorFlow's own masked_crc32c computes it.
        XCTAssertEqual(CRC32C([UInt8](repeating: 0, count: 8)).masked, 0x0798_0329)
    }
}
