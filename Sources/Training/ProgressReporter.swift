import Foundation
import Support

/// The progress of a training run as text, an observer of the `Trainer` (one of its standard
/// observers): after every batch a progress line (epoch, batch, running loss and accuracy,
/// images/s, time left), rewritten in place on a terminal; after every validation the
/// epoch's line (train and validation loss and accuracy, speed, seconds) and a line when the
/// learning rate changes.
public final class ProgressReporter: TrainingObserver {
    private let line: ProgressLine
    private let log: (String) -> Void
    private var epochs = 0, batchesPerEpoch = 1, batchSize = 1
    private var clock = Stopwatch()
    private var imagesAtClock: Double = 0

    /// Reports through `log` (the epoch lines) and standard output (the progress line, in
    /// place when `interactive` and standard output is a terminal, else every 15 seconds).
    public convenience init(interactive: Bool = true, log: @escaping (String) -> Void = { print($0); fflush(stdout) }) {
        self.init(line: ProgressLine(interactive: interactive), log: log)
    }

    init(line: ProgressLine, log: @escaping (String) -> Void) {
        self.line = line
        self.log = log
    }

    public func trainerStarted(_ start: TrainingStart) {
        epochs = start.configuration.epochs
        batchesPerEpoch = start.batchesPerEpoch
        batchSize = start.configuration.batchSize
        clock.reset()
        imagesAtClock = start.state.epochTotals.images
    }

    public func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
        let totals = state.epochTotals, total = batchesPerEpoch
        let rate = (totals.images - imagesAtClock) / max(clock.elapsed, 1e-9)
        line.update(String(format: "epoch %d/%d  batch %d/%d  loss %.4f  acc %.4f  %.1f img/s  ETA %@",
                           epoch + 1, epochs, batch, total, totals.meanLoss, totals.accuracy, rate,
                           formatDuration(Double(total - batch) * Double(batchSize) / max(rate, 1e-9))))
        if batch == total { line.finish() }
        return .proceed
    }

    public func trainerValidated(_ v: TrainingValidation) {
        line.finish()
        let m = v.metrics, r = v.result
        log(String(format: "epoch %d: train loss %.4f acc %.4f | val loss %.4f top-1 %.4f top-5 %.4f | %.1f img/s, %.0f s train + %.0f s eval",
                   m.epoch, m.trainLoss, m.trainAccuracy, r.loss, r.top1Accuracy, r.top5Accuracy, m.imagesPerSecond, m.seconds, v.seconds))
        if v.state.learningRate != m.learningRate { log("learning rate \(m.learningRate) → \(v.state.learningRate)") }
        // The next epoch's images/s count from here, its totals from zero.
        clock.reset()
        imagesAtClock = 0
    }
}
