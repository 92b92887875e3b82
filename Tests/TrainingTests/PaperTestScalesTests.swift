import Training
import XCTest

/// `vgg eval` without `--scales` tests as §4.2 does: three scales around the training scale.
final class PaperTestScalesTests: XCTestCase {
    func testThreeScalesAroundTheTrainingScale() {
        var p = Preprocessing(mean: [0.5])
        XCTAssertEqual(p.paperTestScales, [nil], "no rescaling in training: the images as they are")
        p.trainScale = [256]
        XCTAssertEqual(p.paperTestScales, [224, 256, 288])
        p.trainScale = [256, 512]
        XCTAssertEqual(p.paperTestScales, [256, 384, 512])
    }
}
