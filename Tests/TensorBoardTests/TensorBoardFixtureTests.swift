import Foundation
import TensorBoard
import XCTest

/// Reads an event file written by PyTorch's `SummaryWriter` (TensorBoard's own writer
/// underneath; tools/make_tensorboard_fixture.py).
final class TensorBoardFixtureTests: XCTestCase {
    private func fixture() throws -> EventFile {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "torch-summary-writer", withExtension: "tfevents", subdirectory: "Fixtures"))
        return try EventFile(contentsOf: url)
    }

    func testVersionAndTags() throws {
        let f = try fixture()
        XCTAssertEqual(f.fileVersion, "brain.Event:2")
        XCTAssertEqual(f.tags, ["train/loss", "train/lr", "grid", "config/text_summary", "weights"])
    }

    func testScalars() throws {
        let f = try fixture()
        let loss = f.scalars("train/loss")
        XCTAssertEqual(loss.map(\.step), [0, 1, 2, 3, 4])
        XCTAssertEqual(loss.map(\.value), (0..<5).map { Double(Float(1.0 / Double($0 + 1))) })
        XCTAssertEqual(f.scalars("train/lr").map(\.value), Array(repeating: Double(Float(0.01)), count: 5))
        XCTAssertTrue(loss.allSatisfy { $0.wallTime > 1.6e9 })
    }

    func testImageIsAPNGOfTheLoggedSize() throws {
        let images = try fixture().images("grid")
        XCTAssertEqual(images.count, 1)
        let image = try XCTUnwrap(images.first)
        XCTAssertEqual(image.step, 2)
        XCTAssertEqual([image.value.width, image.value.height, image.value.colorspace], [2, 3, 3])
        XCTAssertEqual(Array(image.value.encodedImageString.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testTextAndHistogram() throws {
        let f = try fixture()
        XCTAssertEqual(f.texts("config/text_summary").map(\.value), ["epochs: **3**"])
        let h = try XCTUnwrap(f.histograms("weights").first)
        XCTAssertEqual(h.step, 3)
        XCTAssertEqual([h.value.min, h.value.max, h.value.num, h.value.sum, h.value.sumSquares], [0, 9, 10, 45, 285])
        XCTAssertEqual(h.value.bucket.reduce(0, +), 10)
    }

    func testOurWriterSkipsNothingTheFixtureDoesNotHave() throws {
        // lastSteps is what a resumed writer skips.
        XCTAssertEqual(try fixture().lastSteps, ["train/loss": 4, "train/lr": 4, "grid": 2, "config/text_summary": 0, "weights": 3])
    }
}
