import Support
import XCTest

final class CRC32Tests: XCTestCase {
    /// The standard check value of CRC-32 (ISO-HDLC, zlib's): "123456789" → cbf43926.
    func testCheckValueAndPiecewiseUpdates() {
        var whole = CRC32()
        whole.update(Array("123456789".utf8))
        XCTAssertEqual(whole.hex, "cbf43926")
        var pieces = CRC32()
        pieces.update(Array("1234".utf8))
        pieces.update(Array("56789".utf8))
        XCTAssertEqual(pieces, whole)
        XCTAssertEqual(CRC32().hex, "00000000")
    }
}
