import Training
import XCTest

/// `vgg eval` without `--scales` tests as §4.2 does: three scales around the training scale.
final class PaperTestScalesTests: XCTestCase {
    func testThreeScalesAroundTheTrainingScale() {
        var p = Preprocessing(mean: [0.5])
        XCTAssertEqual(p.paperTestScales, [nil], "no rescaling in training: the images as they are")
        p.trainScale = [256]
        XCTAssertEqual(p.paperTestScales, [224, 256, 288])
        p.trainScale = [384]
        XCTAssertEqual(p.paperTestScales, [352, 384, 416], "the paper's S = 384 net")
        p.trainScale = [256, 512]
        XCTAssertEqual(p.paperTestScales, [256, 384, 512])
    }

    func testSmallNetsGetScalesTheyCanBeTestedAt() {
        // A 28-pixel image fine-tuned at S = 48: not 16, which five poolings cannot take.
        var p = Preprocessing(mean: [0.5])
        p.trainScale = [48]
        XCTAssertEqual(p.paperTestScales, [42, 48, 54])
        // With a crop, no scale below it (S − 32 = 224 = crop at the paper's sizes).
        p.trainScale = [40]
        p.crop = 38
        XCTAssertEqual(p.paperTestScales, [38, 40, 45])
        p.trainScale = [8]
        p.crop = nil
        XCTAssertEqual(p.paperTestScales, [7, 8, 9])
    }
}
