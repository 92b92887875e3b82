import Support
import XCTest

final class FormattingTests: XCTestCase {
    func testDigitsDurationsAndFixedPoint() {
        XCTAssertEqual(groupedDigits(1_234_567), "1,234,567")
        XCTAssertEqual(groupedDigits(-1_000), "-1,000")
        XCTAssertEqual(groupedDigits(999), "999")
        XCTAssertEqual(formatDuration(75.4), "1:15")
        XCTAssertEqual(formatDuration(3725), "1:02:05")
        XCTAssertEqual(formatDuration(.infinity), "?")
        XCTAssertEqual(formatFixed(3.14159, decimals: 2), "3.14")
        XCTAssertEqual(formatPercent(0.5, decimals: 1), "50.0%")
    }

    func testTheClockIsMonotonic() {
        let a = Clock.now(), b = Clock.now()
        XCTAssertLessThanOrEqual(a, b)
    }
}
