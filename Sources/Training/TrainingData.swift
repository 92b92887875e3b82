import Data
import Foundation
import Support

/// The data of a training run, prepared once: training and validation sets, the loader,
/// class names, and the preprocessing (with the training set's statistics filled in).
struct TrainingData {
    var train: any ImageDataset
    /// This process's part of the validation set (all of it in one process).
    var validation: any ImageDataset
    /// Images of the whole validation set.
    var validationSize: Int
    var classNames: [String]
    var preprocessing: Preprocessing
    var loader: DataLoader
    /// Files of the training and validation folders left out before training
    /// (`--skip-bad-images`), and the number of images found, bad ones included.
    var leftOut: [ImageFileProblem] = []
    var imagesFound = 0
    /// [C, H, W] of a training sample.
    var sampleShape: [Int] { loader.sampleShape }

    /// `shard`: this process's part of every batch and of the validation set.
    init(_ config: TrainingConfiguration, preprocessing given: Preprocessing, shard: DataLoader.Shard = .whole,
         log: (String) -> Void) throws {
        let fullTrain = try config.data.open(split: .train, limit: config.limitTrain, skipBadImages: config.skipBadImages,
                                             classes: config.classSubset)
        if let split = try config.heldOutSplit(of: fullTrain) {
            train = split.train
            validation = split.validation
        } else {
            train = fullTrain
            validation = try config.data.open(split: .test, limit: config.limitTest, skipBadImages: config.skipBadImages,
                                              classes: config.classSubset)
        }
        leftOut = fullTrain.leftOutFiles
        imagesFound = fullTrain.count
        if validation !== fullTrain, !(validation is DatasetSubset) {
            leftOut += validation.leftOutFiles
            imagesFound += validation.count
        }
        imagesFound += leftOut.filter { $0.kind != .emptyClassFolder }.count
        classNames = fullTrain.classNames
        validationSize = validation.count
        if shard.count > 1 {
            guard train.count >= config.batchSize else {
                throw DataError(.invalidArgument, "\(train.count) training images make no full batch of \(config.batchSize) to share among \(shard.count) processes")
            }
            guard validation.count >= shard.count else {
                throw DataError(.invalidArgument, "\(validation.count) validation images cannot be shared among \(shard.count) processes")
            }
            validation = validation.subset(Array(shard.range(of: validation.count)))
        }
        preprocessing = given
        if preprocessing.mean.isEmpty || (preprocessing.colorShift && preprocessing.eigenvalues.isEmpty) {
            let clock = Stopwatch()
            let stats = try DatasetStatistics.compute(dataset: train, sample: 20_000, seed: config.seed, workers: config.workers)
            preprocessing.mean = stats.mean
            if preprocessing.std != nil { preprocessing.std = stats.std }
            preprocessing.eigenvalues = stats.eigenvalues
            preprocessing.eigenvectors = stats.eigenvectors
            log(String(format: "training-set statistics over %d of %d images%@: mean %@ (%.1f s)", stats.imageCount, train.count,
                       stats.imageCount < train.count ? " drawn at random" : "",
                       stats.mean.map { String(format: "%.4f", $0) }.joined(separator: ", "), clock.elapsed))
        }
        loader = try DataLoader(dataset: train, pipeline: preprocessing.trainingPipeline(), batchSize: config.batchSize,
                                shuffle: true, seed: config.seed, dropLast: train.count >= config.batchSize,
                                workers: config.workers, shard: shard)
    }
}
