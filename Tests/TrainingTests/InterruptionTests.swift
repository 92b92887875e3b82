import Foundation
import Support
import Training
import XCTest

/// SIGINT and SIGTERM during training: the run finishes its batch, saves a checkpoint at
/// that batch and ends with `TrainingError.interrupted`; resuming from it reaches exactly
/// the weights of an uninterrupted run. (The command line's exit statuses, 130 and 143, and
/// a second signal that quits at once are checked by scripts/test-cli.sh.)
extension TrainingTests {
    /// Raises a signal in this process once, after a number of batches or after an epoch.
    final class RaiseSignal: TrainingObserver {
        let signal: Int32
        let afterBatches: Int?
        private var batches = 0
        init(_ signal: Int32, afterBatches: Int?) { self.signal = signal; self.afterBatches = afterBatches }

        func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
            batches += 1
            if batches == afterBatches { raise(signal) }
            return .proceed
        }

        func trainerFinishedEpoch(_ metrics: EpochMetrics) {
            if afterBatches == nil && metrics.epoch == 1 { raise(signal) }
        }
    }

    /// Runs `c` in `out` until `signal` (raised after `afterBatches` batches, or during the
    /// first validation) stops it; checks the error and returns the checkpoint's state.
    func interruptedRun(_ c: TrainingConfiguration, _ out: URL, _ signal: Int32, afterBatches: Int?, expected: String,
                        file: StaticString = #filePath, line: UInt = #line) throws -> TrainingState {
        StopSignals.reset()
        let t = trainer(c, out)
        t.observers.append(RaiseSignal(signal, afterBatches: afterBatches))
        t.stopToken = .signals
        let checkpoint = out.appendingPathComponent("last.ckpt")
        XCTAssertThrowsError(try t.run(preprocessing: preprocessing()), file: file, line: line) { e in
            guard case let TrainingError.interrupted(s, _, path) = e else { return XCTFail("\(e)", file: file, line: line) }
            XCTAssertEqual(s, signal, file: file, line: line)
            XCTAssertEqual(path, checkpoint.path, file: file, line: line)
            XCTAssertEqual("\(e)", "interrupted by \(expected): saved \(checkpoint.path)", file: file, line: line)
        }
        StopSignals.reset()
        return try Checkpoint.read(from: checkpoint).header.state
    }

    func testSignalStopsAfterTheBatchWithACheckpointThatResumesExactly() throws {
        StopSignals.install(notice: "")
        defer { StopSignals.uninstall() }
        var c = configuration(epochs: 2)
        c.checkpointEvery = 0  // the only mid-epoch checkpoint is the interruption's
        let full = root.appendingPathComponent("full")
        try trainer(c, full).run(preprocessing: preprocessing())
        let reference = try Checkpoint.read(from: full.appendingPathComponent("last.ckpt"))

        // SIGINT after batch 37 (epoch 2, batch 5 of 32): noticed during the next batch, after
        // which the run stops.
        let mid = root.appendingPathComponent("mid")
        let state = try interruptedRun(c, mid, SIGINT, afterBatches: 37, expected: "SIGINT at epoch 2, batch 6")
        XCTAssertEqual([state.epoch, state.batchInEpoch, state.optimizerSteps], [1, 6, 38])
        try trainer(c, mid).run(resume: true)
        let resumed = try Checkpoint.read(from: mid.appendingPathComponent("last.ckpt"))
        try assertSameTensors(reference, resumed)
        XCTAssertEqual(reference.header.state.curve, resumed.header.state.curve)
        XCTAssertEqual(reference.header.state.history.map(\.trainLoss), resumed.header.state.history.map(\.trainLoss))

        // SIGTERM during the first validation: the run stops once the epoch's checkpoint is written.
        let end = root.appendingPathComponent("end")
        let state2 = try interruptedRun(c, end, SIGTERM, afterBatches: nil, expected: "SIGTERM at the end of epoch 1")
        XCTAssertEqual([state2.epoch, state2.batchInEpoch, state2.optimizerSteps], [1, 0, 32])
        try trainer(c, end).run(resume: true)
        try assertSameTensors(reference, try Checkpoint.read(from: end.appendingPathComponent("last.ckpt")))
    }
}
