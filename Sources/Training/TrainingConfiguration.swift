import NN
import VGG

/// Every setting of a training run (the paper's §3.1 recipe by default), saved in checkpoints.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var model: VGGOptions
    public var data: DatasetSpec
    public var epochs: Int = 1
    public var batchSize: Int = 256
    public var learningRate: Float = 1e-2
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    public var nesterov: Bool = false
    public var schedule: LearningRateSchedule = .paper(patience: 2)
    public var initializer: Initializer = .paper
    public var seed: UInt64 = 0
    /// Fraction of the training set held out for validation (0: validate on the test set).
    public var validationFraction: Double = 0
    public var limitTrain: Int?
    public var limitTest: Int?
    public var workers: Int = 2
    /// Save the `last` checkpoint every this many batches as well as at each epoch end (0: epoch ends only).
    public var checkpointEvery: Int = 0
    /// Image folders: skip unreadable images with a warning (and a count per epoch) instead of failing.
    public var skipBadImages: Bool = false
    /// Label smoothing ε of the training loss (0: plain cross-entropy, as in the paper).
    public var labelSmoothing: Float = 0

    public init(model: VGGOptions, data: DatasetSpec) {
        self.model = model
        self.data = data
    }
}

extension TrainingConfiguration {
    enum CodingKeys: String, CodingKey { case model, data, epochs, batchSize, learningRate, momentum, weightDecay, nesterov, schedule, initializer, seed, validationFraction, limitTrain, limitTest, workers, checkpointEvery, skipBadImages, labelSmoothing }

    /// Decodes checkpoints written before a setting existed, giving it its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(VGGOptions.self, forKey: .model)
        data = try c.decode(DatasetSpec.self, forKey: .data)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? 1
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 256
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? 1e-2
        momentum = try c.decodeIfPresent(Float.self, forKey: .momentum) ?? 0.9
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? 5e-4
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? false
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? .paper(patience: 2)
        initializer = try c.decodeIfPresent(Initializer.self, forKey: .initializer) ?? .paper
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0
        limitTrain = try c.decodeIfPresent(Int.self, forKey: .limitTrain)
        limitTest = try c.decodeIfPresent(Int.self, forKey: .limitTest)
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? 2
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 0
        skipBadImages = try c.decodeIfPresent(Bool.self, forKey: .skipBadImages) ?? false
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? 0
    }
}

/// One row of `metrics.csv`.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationTop1: Double
    public var validationTop5: Double
    public var imagesPerSecond: Double
    public var seconds: Double

    public static let csvHeader = "epoch,lr,train_loss,train_acc,val_loss,val_top1,val_top5,images_per_s,seconds"
    public var csvRow: String {
        func f(_ x: Double) -> String { String(format: "%.6f", x) }
        return "\(epoch),\(learningRate),\(f(trainLoss)),\(f(trainAccuracy)),\(f(validationLoss)),\(f(validationTop1)),\(f(validationTop5)),\(String(format: "%.1f", imagesPerSecond)),\(String(format: "%.1f", seconds))"
    }
}

import Foundation
