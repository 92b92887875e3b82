import Data
import NN
import VGG

/// Every setting of a training run, saved in checkpoints. The defaults here are the only
/// ones (the command line takes them from here): the paper's §3.1 optimiser (batch 256,
/// lr 1e-2, momentum 0.9, weight decay 5e-4, lr ÷10 on validation plateaus), torchvision's
/// Kaiming initialisation with BatchNorm and He's fan-in form without
/// (`Initializer.default(batchNorm:)`; the paper's N(0, 1e-2) diverges without
/// pre-training), a checkpoint every 50 batches.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var model: VGGOptions
    public var data: DatasetSpec
    public var epochs: Int = 1
    /// Stop after this many optimizer steps (the paper stopped at 370K iterations), with a
    /// validation and a checkpoint, even within an epoch; nil: `epochs` alone decide.
    public var maxSteps: Int?
    public var batchSize: Int = 256
    public var learningRate: Float = 1e-2
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    public var nesterov: Bool = false
    public var schedule: LearningRateSchedule = .paper()
    public var initializer: Initializer = .kaiming
    public var seed: UInt64 = 0
    /// Fraction of the training set held out for validation (0: validate on the test set).
    public var validationFraction: Double = 0
    /// Training images per class, the rest of the training data held out for validation
    /// (single-folder datasets such as Caltech-256); nil: `validationFraction` decides.
    public var trainPerClass: Int?
    public var limitTrain: Int?
    public var limitTest: Int?
    public var workers: Int = 2
    /// Save the `last` checkpoint every this many batches as well as at each epoch end (0: epoch ends only).
    public var checkpointEvery: Int = 50
    /// Image folders: skip unreadable images with a warning (and a count per epoch) instead of failing.
    public var skipBadImages: Bool = false
    /// Label smoothing ε of the training loss (0: plain cross-entropy, as in the paper).
    public var labelSmoothing: Float = 0
    /// With several processes, BatchNorm normalises with the statistics of the global batch
    /// (summed over the processes) instead of each process's slice.
    public var syncBatchNorm: Bool = false
    /// Fine-tuning: the layers up to this one (`features`, `conv4_3`, `features.20`, …) are
    /// frozen; nil: none.
    public var freezeThrough: String?
    /// Fine-tuning: the learning rate of the convolutional part is multiplied by this; nil: 1.
    public var featuresLearningRateMultiplier: Float?
    /// Train and validate on these classes of the data only (labels renumbered 0..<k in
    /// this order, class names kept); nil: every class. `limitTrain`/`limitTest` apply first.
    public var classSubset: [Int]?
    /// `--reproducible`: the global batch is cut into shards of this many images whose
    /// gradients are added in one fixed order (`ShardedGradientSum`), so that the weights are
    /// bit-identical for one process and any power-of-two number of processes; nil: off.
    public var reproducibleShardSize: Int?

    public init(model: VGGOptions, data: DatasetSpec) {
        self.model = model
        self.data = data
        initializer = .default(batchNorm: model.batchNorm)
    }
}

extension TrainingConfiguration {
    enum CodingKeys: String, CodingKey { case model, data, epochs, maxSteps, batchSize, learningRate, momentum, weightDecay, nesterov, schedule, initializer, seed, validationFraction, limitTrain, limitTest, workers, checkpointEvery, skipBadImages, labelSmoothing, syncBatchNorm, freezeThrough, featuresLearningRateMultiplier, trainPerClass, classSubset, reproducibleShardSize }

    /// Decodes checkpoints written before a setting existed, giving it its default (the
    /// defaults of the declarations above: one place).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(model: try c.decode(VGGOptions.self, forKey: .model), data: try c.decode(DatasetSpec.self, forKey: .data))
        func take<T: Decodable>(_ key: CodingKeys, _ field: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { field = v }
        }
        try take(.epochs, &epochs); try take(.batchSize, &batchSize); try take(.learningRate, &learningRate)
        try take(.momentum, &momentum); try take(.weightDecay, &weightDecay); try take(.nesterov, &nesterov)
        try take(.schedule, &schedule); try take(.initializer, &initializer); try take(.seed, &seed)
        try take(.validationFraction, &validationFraction); try take(.workers, &workers)
        try take(.checkpointEvery, &checkpointEvery); try take(.skipBadImages, &skipBadImages)
        try take(.labelSmoothing, &labelSmoothing); try take(.syncBatchNorm, &syncBatchNorm)
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        freezeThrough = try c.decodeIfPresent(String.self, forKey: .freezeThrough)
        trainPerClass = try c.decodeIfPresent(Int.self, forKey: .trainPerClass)
        featuresLearningRateMultiplier = try c.decodeIfPresent(Float.self, forKey: .featuresLearningRateMultiplier)
        limitTrain = try c.decodeIfPresent(Int.self, forKey: .limitTrain)
        limitTest = try c.decodeIfPresent(Int.self, forKey: .limitTest)
        classSubset = try c.decodeIfPresent([Int].self, forKey: .classSubset)
        reproducibleShardSize = try c.decodeIfPresent(Int.self, forKey: .reproducibleShardSize)
    }
}

extension TrainingConfiguration {
    /// Whether validation images are held out of the training data (`--val-fraction`,
    /// `--train-per-class`) rather than taken from a test split.
    public var holdsOutValidation: Bool { trainPerClass != nil || validationFraction > 0 }

    /// The training/validation split of the training data this configuration defines, from
    /// its seed: the same images every time, so `vgg eval` and `vgg features` can find the
    /// held-out images of a checkpoint again. Nil when validation comes from a test split.
    public func heldOutSplit(of training: any ImageDataset) throws -> (train: DatasetSubset, validation: DatasetSubset)? {
        if let n = trainPerClass { return try training.stratifiedSplit(trainPerClass: n, seed: seed) }
        if validationFraction > 0 { return try training.stratifiedSplit(validationFraction: validationFraction, seed: seed) }
        return nil
    }
}
