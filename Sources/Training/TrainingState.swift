import NN

/// Where a training run stands, everything besides tensors that a resumed run needs to go
/// on exactly as an uninterrupted one: position, optimizer step, schedule, metrics so far.
/// Saved as JSON in every checkpoint.
///
/// It is the one place that holds the optimizer's step count and learning rate: the trainer
/// passes both to every step (`SGD.step(learningRate:isFirstStep:)`), and the rate is the
/// scheduler's (`learningRate` reads it; the checkpoint's JSON keeps a copy for its readers).
public struct TrainingState: Codable, Equatable, Sendable {
    /// The epoch to continue from (0-based) and the batch within it.
    public var epoch: Int = 0
    public var batchInEpoch: Int = 0
    /// Optimizer steps taken (the first initialises momentum; dropout masks are keyed by it).
    public var optimizerSteps: Int = 0
    /// The learning rate of the next step: the scheduler's.
    public var learningRate: Float { scheduler.learningRate }
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

    public init(scheduler: LearningRateScheduler) {
        self.scheduler = scheduler
    }

    enum CodingKeys: String, CodingKey {
        case epoch, batchInEpoch, optimizerSteps, learningRate, scheduler, history, bestAccuracy, epochTotals, curve, curveWindow
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scheduler = try c.decode(LearningRateScheduler.self, forKey: .scheduler)
        epoch = try c.decode(Int.self, forKey: .epoch)
        batchInEpoch = try c.decode(Int.self, forKey: .batchInEpoch)
        optimizerSteps = try c.decode(Int.self, forKey: .optimizerSteps)
        history = try c.decode([EpochMetrics].self, forKey: .history)
        bestAccuracy = try c.decode(Double.self, forKey: .bestAccuracy)
        epochTotals = try c.decode(RunningTotals.self, forKey: .epochTotals)
        curve = try c.decode([CurvePoint].self, forKey: .curve)
        curveWindow = try c.decode(RunningTotals.self, forKey: .curveWindow)
        // The stored rate is a copy of the scheduler's: one that disagrees is a damaged header.
        let stored = try c.decode(Float.self, forKey: .learningRate)
        guard stored == scheduler.learningRate || (stored.isNaN && scheduler.learningRate.isNaN) else {
            throw DecodingError.dataCorruptedError(forKey: .learningRate, in: c,
                debugDescription: "learning rate \(stored) is not the scheduler's \(scheduler.learningRate)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(batchInEpoch, forKey: .batchInEpoch)
        try c.encode(optimizerSteps, forKey: .optimizerSteps)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(scheduler, forKey: .scheduler)
        try c.encode(history, forKey: .history)
        try c.encode(bestAccuracy, forKey: .bestAccuracy)
        try c.encode(epochTotals, forKey: .epochTotals)
        try c.encode(curve, forKey: .curve)
        try c.encode(curveWindow, forKey: .curveWindow)
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

    /// Closes the epoch with its metrics: the scheduler sets the learning rate of the next
    /// epoch from its validation top-1, and the next epoch starts at batch 0.
    public mutating func finishEpoch(_ metrics: EpochMetrics) {
        history.append(metrics)
        bestAccuracy = max(bestAccuracy, metrics.validationTop1)
        scheduler.epochEnded(validationAccuracy: Float(metrics.validationTop1))
        epoch += 1
        batchInEpoch = 0
        epochTotals = RunningTotals()
    }
}
