import Foundation
import TensorBoard
import XCTest

final class EventFileWriterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testWrittenEventsReadBack() throws {
        let w = try EventFileWriter(directory: directory, time: Date(timeIntervalSince1970: 1_700_000_000), host: "box")
        XCTAssertEqual(w.url.lastPathComponent, "events.out.tfevents.1700000000.box")
        try w.addScalar("train/loss", 2.5, step: 1)
        try w.addScalar("train/loss", 1.25, step: 2)
        try w.addImage("curves", png: [0x89, 1, 2], width: 4, height: 5, channels: 3, step: 2)
        try w.addText("config", "# run", step: 0)
        try w.addHistogram("w", values: [-1, 0, 0.5, 2, .nan], step: 2)
        let f = try EventFile(contentsOf: w.url)
        XCTAssertEqual(f.fileVersion, "brain.Event:2")
        XCTAssertEqual(f.scalars("train/loss").map(\.step), [1, 2])
        XCTAssertEqual(f.scalars("train/loss").map(\.value), [2.5, 1.25])
        XCTAssertEqual(f.images("curves").first.map { [$0.value.width, $0.value.height, $0.value.colorspace] }, [4, 5, 3])
        XCTAssertEqual(f.images("curves").first?.value.encodedImageString, Data([0x89, 1, 2]))
        XCTAssertEqual(f.texts("config").map(\.value), ["# run"])
        let h = try XCTUnwrap(f.histograms("w").first?.value)
        XCTAssertEqual([h.num, h.min, h.max, h.sum, h.sumSquares], [4, -1, 2, 1.5, 5.25])
        XCTAssertEqual(h.bucket.reduce(0, +), 4)
        XCTAssertEqual(h.bucketLimit, h.bucketLimit.sorted())
    }

    func testASecondWriterSkipsStepsAlreadyLoggedAndUsesANewFile() throws {
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try EventFileWriter(directory: directory, time: time, host: "box")
        for step in 1...5 { try first.addScalar("loss", Double(step), step: step) }
        let second = try EventFileWriter(directory: directory, skipping: try EventDirectory(contentsOf: directory).lastSteps,
                                         time: time, host: "box")
        XCTAssertNotEqual(second.url, first.url)
        for step in 4...7 { try second.addScalar("loss", Double(step), step: step) }
        try second.addScalar("other", 1, step: 2)
        let all = try EventDirectory(contentsOf: directory)
        XCTAssertEqual(all.files.count, 2)
        let loss = all.events.filter { $0.summary.value.first?.tag == "loss" }.map(\.step)
        XCTAssertEqual(loss, [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(all.lastSteps, ["loss": 7, "other": 2])
    }

    func testScalarsOfAStepShareOneEventAndAreSkippedTagByTag() throws {
        let first = try EventFileWriter(directory: directory, time: Date(timeIntervalSince1970: 1_700_000_000), host: "box")
        try first.addScalars([("a", 1), ("b", 2)], step: 1)
        try first.addScalars([("a", 3)], step: 2)
        let second = try EventFileWriter(directory: directory, skipping: try EventDirectory(contentsOf: directory).lastSteps,
                                         time: Date(timeIntervalSince1970: 1_700_000_000), host: "box")
        try second.addScalars([("a", 30), ("b", 20)], step: 2)  // a was logged at 2, b only at 1
        try second.addScalars([("a", 40), ("b", 50)], step: 3)
        let all = try EventDirectory(contentsOf: directory)
        XCTAssertEqual(all.events.filter { !$0.summary.value.isEmpty }.map { $0.summary.value.map(\.tag) }, [["a", "b"], ["a"], ["b"], ["a", "b"]])
        let merged = all.events.flatMap { e in e.summary.value.map { "\($0.tag)@\(e.step)=\($0.simpleValue)" } }
        XCTAssertEqual(merged, ["a@1=1.0", "b@1=2.0", "a@2=3.0", "b@2=20.0", "a@3=40.0", "b@3=50.0"])
    }
}
