import NN

/// Where a training run stands, everything besides tensors that a resumed run needs to go
/// on exactly as an uninterrupted one: position, optimizer step, schedule, metrics so far.
/// Saved as JSON in every checkpoint.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The epoch to continue from (0-based) and the batch within it.
    public var epoch: Int = 0
    public var batchInEpoch: Int = 0
    /// Optimizer steps taken (the first initialises momentum; dropout masks are keyed by it).
    public var optimizerSteps: Int = 0
    public var learningRate: Float
    public var scheduler: LearningRateScheduler
    /// Finished epochs.
    public var history: [EpochMetrics] = []
    /// Best validation top-1 so far (−1 before the first validation).
    public var bestAccuracy: Double = -1
    /// Sums over the batches of the current epoch so far.
    public var epochTotals = RunningTotals()
    /// The running training loss and accuracy as the epochs go (a point every 1/50 epoch).
    public var curve: [CurvePoint] = []
    /// Sums since the last curve point.
    public var curveWindow = RunningTotals()

    public init(learningRate: Float, scheduler: LearningRateScheduler) {
        self.learningRate = learningRate
        self.scheduler = scheduler
    }

    /// Sums of loss (× images), correct predictions, images and seconds.
    public struct RunningTotals: Codable, Equatable, Sendable {
        public var lossSum: Double = 0
        public var correct: Double = 0
        public var images: Double = 0
        public var seconds: Double = 0
        public var meanLoss: Double { lossSum / max(images, 1) }
        public var accuracy: Double { correct / max(images, 1) }

        public mutating func add(loss: Float, correct: Int, images: Int) {
            lossSum += Double(loss) * Double(images)
            self.correct += Double(correct)
            self.images += Double(images)
        }
    }

    /// One point of the running training curve.
    public struct CurvePoint: Codable, Equatable, Sendable {
        /// Fractional epoch (1.5: half-way through the second epoch).
        public var epoch: Double
        public var loss: Double
        public var accuracy: Double
    }

    /// Where the run stands, for messages: `epoch 2, batch 5` (the batches done in the
    /// current epoch) or, between epochs, `the end of epoch 1`.
    public var position: String {
        batchInEpoch == 0 && epoch > 0 ? "the end of epoch \(epoch)" : "epoch \(epoch + 1), batch \(batchInEpoch)"
    }

    /// Records a finished batch of `images` images out of `batchesPerEpoch` per epoch.
    public mutating func recordBatch(loss: Float, correct: Int, images: Int, batchesPerEpoch: Int) {
        batchInEpoch += 1
        optimizerSteps += 1
        epochTotals.add(loss: loss, correct: correct, images: images)
        curveWindow.add(loss: loss, correct: correct, images: images)
        if batchInEpoch % max(1, batchesPerEpoch / 50) == 0 || batchInEpoch == batchesPerEpoch {
            curve.append(CurvePoint(epoch: Double(epoch) + Double(batchInEpoch) / Double(batchesPerEpoch),
                                    loss: curveWindow.meanLoss, accuracy: curveWindow.accuracy))
            curveWindow = RunningTotals()
        }
    }

    /// Closes the epoch with its metrics; the next epoch starts at batch 0.
    public mutating func finishEpoch(_ metrics: EpochMetrics, learningRate newRate: Float) {
        history.append(metrics)
        bestAccuracy = max(bestAccuracy, metrics.validationTop1)
        learningRate = newRate
        epoch += 1
        batchInEpoch = 0
        epochTotals = RunningTotals()
    }
}
