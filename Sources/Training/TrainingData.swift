import Data
import Foundation
import Support

/// The data of a training run, prepared once: training and validation sets, the loader,
/// class names, and the preprocessing (with the training set's statistics filled in).
struct TrainingData {
    var train: any ImageDataset
    var validation: any ImageDataset
    var classNames: [String]
    var preprocessing: Preprocessing
    var loader: DataLoader
    /// [C, H, W] of a training sample.
    var sampleShape: [Int] { loader.sampleShape }

    init(_ config: TrainingConfiguration, preprocessing given: Preprocessing, log: (String) -> Void) throws {
        let fullTrain = try config.data.open(split: .train, limit: config.limitTrain, skipBadImages: config.skipBadImages)
        if config.validationFraction > 0 {
            let split = try fullTrain.stratifiedSplit(validationFraction: config.validationFraction, seed: config.seed)
            train = split.train
            validation = split.validation
        } else {
            train = fullTrain
            validation = try config.data.open(split: .test, limit: config.limitTest, skipBadImages: config.skipBadImages)
        }
        classNames = fullTrain.classNames
        preprocessing = given
        if preprocessing.mean.isEmpty || (preprocessing.colorShift && preprocessing.eigenvalues.isEmpty) {
            let clock = Stopwatch()
            let stats = try DatasetStatistics.compute(dataset: train, maxImages: 20_000, workers: config.workers)
            preprocessing.mean = stats.mean
            if preprocessing.std != nil { preprocessing.std = stats.std }
            preprocessing.eigenvalues = stats.eigenvalues
            preprocessing.eigenvectors = stats.eigenvectors
            log(String(format: "training-set statistics over %d images: mean %@ (%.1f s)", stats.imageCount,
                       stats.mean.map { String(format: "%.4f", $0) }.joined(separator: ", "), clock.elapsed))
        }
        loader = try DataLoader(dataset: train, pipeline: preprocessing.trainingPipeline(), batchSize: config.batchSize,
                                shuffle: true, seed: config.seed, dropLast: train.count >= config.batchSize,
                                workers: config.workers)
    }
}
