import Data
import XCTest

/// `ClassSubset` (`--classes-subset`): parsing, filtering, label renumbering.
final class ClassSubsetTests: XCTestCase {
    func testParsesRangesAndLists() throws {
        XCTAssertEqual(try ClassSubset.parse("0-4"), [0, 1, 2, 3, 4])
        XCTAssertEqual(try ClassSubset.parse("5,6,7"), [5, 6, 7])
        XCTAssertEqual(try ClassSubset.parse("7,0-2, 9"), [7, 0, 1, 2, 9])
        for bad in ["", "a", "4-2", "1,1", "0-3,2", "-1", "1-"] {
            XCTAssertThrowsError(try ClassSubset.parse(bad), bad)
        }
    }

    func dataset() throws -> InMemoryDataset {
        let labels = [0, 1, 2, 3, 4, 0, 3, 4]
        let images = labels.map { DecodedImage(width: 2, height: 2, channels: 1, fill: UInt8($0 * 10)) }
        return try InMemoryDataset(images: images, labels: labels, classNames: ["a", "b", "c", "d", "e"])
    }

    func testRemapsLabelsInTheGivenOrderForTraining() throws {
        let s = try ClassSubset(base: try dataset(), classes: [4, 0], remapLabels: true)
        XCTAssertEqual(s.indices, [0, 4, 5, 7])
        XCTAssertEqual(s.classNames, ["e", "a"])
        XCTAssertEqual((0..<s.count).map(s.label(at:)), [1, 0, 1, 0])
        XCTAssertEqual(try s.loadImage(at: 1).pixels, [40, 40, 40, 40])
        XCTAssertEqual(s.labelCounts(), [2, 2])
    }

    func testKeepsTheOriginalLabelsForFeatures() throws {
        let s = try ClassSubset(base: try dataset(), classes: [3, 4], remapLabels: false)
        XCTAssertEqual(s.classNames, ["a", "b", "c", "d", "e"])
        XCTAssertEqual((0..<s.count).map(s.label(at:)), [3, 4, 3, 4])
    }

    func testRejectsClassesTheDataHasNot() throws {
        XCTAssertThrowsError(try ClassSubset(base: try dataset(), classes: [5], remapLabels: true))
        XCTAssertThrowsError(try ClassSubset(base: try dataset(), classes: [], remapLabels: true))
    }

    func testHugeRangesAreRefusedBeforeTheyAreExpanded() {
        // 0-9223372036854775806 would be an array of 2⁶³ indices.
        assertDataError(try ClassSubset.parse("0-9223372036854775806"), contains: ["implausibly large"])
        assertDataError(try ClassSubset.parse("3,100000"), contains: ["class index 100000"])
        assertDataError(try ClassSubset.parse("0-99999,0-99999"), contains: ["twice"])
        XCTAssertEqual(try ClassSubset.parse("99998-99999"), [99_998, 99_999])
    }
}
