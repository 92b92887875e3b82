import Foundation
import Training
import XCTest

/// A loss or model that becomes NaN or infinite ends the run with a message naming the step
/// and the first layer concerned; the last checkpoint on disk is never overwritten.
extension TrainingTests {
    /// The groups of the first match of `pattern` in `text` (the whole match first), or nil.
    func groups(_ pattern: String, _ text: String) -> [String]? {
        guard let m = try? NSRegularExpression(pattern: pattern).firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (0..<m.numberOfRanges).map { Range(m.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
    }

    /// Trains with a learning rate of 1e6 and a checkpoint after every batch until the run
    /// diverges; checks that `last.ckpt` is still the one written after the last good step,
    /// and returns the message and the number of the step that diverged.
    func divergingRun(batchNorm: Bool, file: StaticString = #filePath, line: UInt = #line) throws -> (message: String, step: Int) {
        var c = configuration(epochs: 2)
        c.model.batchNorm = batchNorm
        c.learningRate = 1e6
        c.checkpointEvery = 1
        let out = root.appendingPathComponent(batchNorm ? "bn" : "plain")
        let t = trainer(c, out)
        var message = ""
        XCTAssertThrowsError(try t.run(preprocessing: preprocessing()), file: file, line: line) { e in
            guard case TrainingError.diverged = e else { return XCTFail("not a divergence: \(e)", file: file, line: line) }
            message = "\(e)"
        }
        let head = try XCTUnwrap(groups(#"^training diverged at epoch 1, batch (\d+) \(step (\d+)\): "#, message), message, file: file, line: line)
        let step = try XCTUnwrap(Int(head[2]))
        XCTAssertEqual(head[1], head[2], file: file, line: line)
        XCTAssertGreaterThan(step, 1, "a checkpoint was written before the divergence", file: file, line: line)
        let ckpt = out.appendingPathComponent("last.ckpt")
        XCTAssertTrue(message.contains("; \(ckpt.path) (epoch 1, batch \(step - 1)) is kept, nothing later was saved (try a lower --lr)"),
                      message, file: file, line: line)
        // A checkpoint after every batch: the one of the last good step, as its header says, is
        // the last written (a batch is reported to observers before its checkpoint is written,
        // so an observer cannot take a copy of it; the step in the header tells it apart).
        let kept = try Checkpoint.read(from: ckpt)
        XCTAssertEqual(kept.header.state.optimizerSteps, step - 1, file: file, line: line)
        for name in kept.tensorNames {
            XCTAssertTrue(try kept.values(name).allSatisfy(\.isFinite), "\(name) of the kept checkpoint is not finite", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("best.ckpt").path), file: file, line: line)
        return (message, step)
    }

    /// With BatchNorm, the weights stay finite and the logits overflow: the loss is not finite.
    func testNonFiniteLossNamesTheStepAndTheFirstNonFiniteOutput() throws {
        let r = try divergingRun(batchNorm: true)
        XCTAssertNotNil(groups(#"\): the loss is NaN or infinite; the first non-finite output is (features|classifier)\.\d+'s \([^)]+\); "#, r.message),
                        r.message)
    }

    /// Without BatchNorm, a gradient overflows while the loss is still finite: the checkpoint
    /// due after that step finds the weights not finite and is not written.
    func testNonFiniteWeightsAreNeverSavedAndNameTheGradient() throws {
        let r = try divergingRun(batchNorm: false)
        let s = r.step
        XCTAssertNotNil(groups(#"\): the weights of (features|classifier)\.\d+ \([^)]+\) are not finite after the update of step \#(s) or an earlier one; step \#(s)'s gradient first went non-finite, in the backward pass, at (features|classifier)\.\d+\.(weight|bias); "#, r.message), r.message)
    }
}
