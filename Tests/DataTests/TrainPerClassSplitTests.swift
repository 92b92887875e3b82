import Data
import XCTest

/// `--train-per-class N`: N training images of every class drawn at random (seeded), the rest
/// held out; the same split every time from the same seed.
final class TrainPerClassSplitTests: XCTestCase {
    func testFixedNumberPerClassAndTheRestHeldOut() throws {
        // Classes of 10, 4 and 1 images.
        let image = DecodedImage(width: 1, height: 1, channels: 1, pixels: [7])
        let labels = Array(repeating: 0, count: 10) + Array(repeating: 1, count: 4) + [2]
        let ds = try InMemoryDataset(images: Array(repeating: image, count: labels.count), labels: labels, classNames: ["a", "b", "c"])
        let split = try ds.stratifiedSplit(trainPerClass: 5, seed: 11)
        let trainLabels = (0..<split.train.count).map { split.train.label(at: $0) }
        let heldLabels = (0..<split.validation.count).map { split.validation.label(at: $0) }
        XCTAssertEqual(trainLabels.filter { $0 == 0 }.count, 5)
        XCTAssertEqual(heldLabels.filter { $0 == 0 }.count, 5)
        // A class with no more than N images keeps one for validation; a single image trains.
        XCTAssertEqual(trainLabels.filter { $0 == 1 }.count, 3)
        XCTAssertEqual(heldLabels.filter { $0 == 1 }.count, 1)
        XCTAssertEqual(trainLabels.filter { $0 == 2 }.count, 1)
        // Disjoint, complete and reproducible.
        let train = Set(split.train.indices), held = Set(split.validation.indices)
        XCTAssertTrue(train.isDisjoint(with: held))
        XCTAssertEqual(train.union(held), Set(0..<labels.count))
        let again = try ds.stratifiedSplit(trainPerClass: 5, seed: 11)
        XCTAssertEqual(again.train.indices, split.train.indices)
        XCTAssertNotEqual(try ds.stratifiedSplit(trainPerClass: 5, seed: 12).train.indices, split.train.indices)
        XCTAssertThrowsError(try ds.stratifiedSplit(trainPerClass: 0, seed: 1))
    }
}
