import XCTest
import Support

final class TextTableTests: XCTestCase {
    func testColumnsAlign() {
        var t = TextTable(headers: ["class", "accuracy"])
        t.addRow(["cat", "81.20%"])
        t.addRow(["automobile", "9.00%"])
        let lines = t.render().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6)
        XCTAssertEqual(Set(lines.map(\.count)).count, 1, "all lines equally wide:\n\(t)")
        XCTAssertEqual(lines[3], "| cat        |   81.20% |")
        XCTAssertEqual(lines[4], "| automobile |    9.00% |")
    }

    func testPerClassAccuracy() {
        let t = TextTable.perClassAccuracy(counts: [[8, 2], [1, 9]], classNames: ["cat", "dog"])
        let s = t.render()
        XCTAssertTrue(s.contains("| 0 | cat   |      10 |       8 |   80.00% |"), s)
        XCTAssertTrue(s.contains("|   | all   |      20 |      17 |   85.00% |"), s)
    }

    func testConfusionMatrixTable() {
        let t = TextTable.confusionMatrix(counts: [[8, 2], [1, 9]], classNames: ["cat", "dog"])
        let lines = t.render().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[1], "| true \\ pred | 0 | 1 |")
        XCTAssertEqual(lines[3], "| 0 cat       | 8 | 2 |")
        XCTAssertEqual(lines[4], "| 1 dog       | 1 | 9 |")
    }

    func testEmptyTable() {
        XCTAssertEqual(TextTable(headers: []).render(), "")
    }
}
