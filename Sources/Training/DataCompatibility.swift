import Data

extension TrainedModel {
    /// Checks, before any evaluation, that `dataset` (read from `path`) is data this model
    /// can take: images with the channels it was trained on, and as many classes. The error
    /// names both sides (a colour model given gray images would otherwise fail deep in the
    /// preprocessing).
    public func checkCompatible(with dataset: any ImageDataset, path: String) throws {
        let o = configuration.model
        let model = "\(o.inputChannels)×\(o.inputHeight)×\(o.inputWidth)"
        if dataset.channels != o.inputChannels {
            var shape = "\(dataset.channels)-channel"
            if dataset.count > 0 {
                // The first image, as the evaluation would resize and crop it.
                let display = preprocessing.evaluationPipeline().transforms.filter { !($0 is Normalize) }
                let image = try TransformPipeline(display).apply(dataset.loadImage(at: 0), seed: 0, epoch: 0, position: 0)
                shape = "\(image.channels)×\(image.height)×\(image.width)"
            }
            throw DataError(.mismatch, path: path,
                            "its images are \(shape) (channels×height×width, after the model's preprocessing) but the model takes \(model) "
                            + "(\(o.inputChannels) channel\(o.inputChannels == 1 ? "" : "s")): it was trained on other data (\(configuration.data.path))")
        }
        guard dataset.classNames.count == classNames.count else {
            throw DataError(.mismatch, path: path,
                            "has \(dataset.classNames.count) classes but the model was trained on \(classNames.count) (\(configuration.data.path))")
        }
    }
}
