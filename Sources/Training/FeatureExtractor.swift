import Data
import Foundation
import NN
import Tensors
import VGG

/// Activations of one layer of a trained network as image features (`vgg features`).
///
/// Two ways to apply the network:
/// - `features(dataset:…)`: each image through the checkpoint's evaluation pipeline (test
///   scale, centre crop, normalisation), the network run up to the layer, the output
///   flattened in PyTorch's (C, H, W) order; any layer.
/// - `denseFeatures(dataset:scales:…)`: the transfer protocol of the paper's Appendix B —
///   the network applied densely (`DenseNetwork`: fully connected layers as convolutions)
///   to the whole image rescaled to each scale Q, the layer's map averaged over space
///   (global average pooling), and the descriptors averaged over the scales; fc6, fc7,
///   any convolutional-part layer (pool5), not the dropout, flatten or avgpool layers.
///
/// Both average with the horizontally flipped image when `flip` is set. The network runs
/// only up to the layer (`Sequential.forward(_:upTo:)`), so its output is read before any
/// later layer could reuse the shared activation buffers of an inference plan.
public struct FeatureExtractor {
    public let model: TrainedModel
    public let layer: FeatureLayer

    public init(model: TrainedModel, layer: String) throws {
        self.model = model
        self.layer = try FeatureLayer(layer, in: model.network)
    }

    /// Features of every image of `dataset` through the evaluation pipeline at scale `q`
    /// (nil: the checkpoint's), with their labels. `progress` gets (done, total).
    public func features(dataset: any ImageDataset, scale q: Int? = nil, flip: Bool = false, batchSize: Int = 128, workers: Int = 2,
                         progress: ((Int, Int) -> Void)? = nil) throws -> (features: [Float], dimension: Int, labels: [Int]) {
        var sum: [Float] = []
        var labels: [Int] = []
        var dimension = 0
        let passes = flip ? [false, true] : [false]
        for (p, flipped) in passes.enumerated() {
            let base = model.preprocessing.evaluationPipeline(scale: q)
            let pipeline = flipped ? base.appending(HorizontalFlipAlways()) : base
            let r = try run(dataset: dataset, pipeline: pipeline, batchSize: batchSize, workers: workers) {
                progress?(p * dataset.count + $0, passes.count * dataset.count)
            }
            if sum.isEmpty { sum = r.features } else { for i in sum.indices { sum[i] += r.features[i] } }
            labels = r.labels; dimension = r.dimension
        }
        if passes.count > 1 { sum = sum.map { $0 / Float(passes.count) } }
        return (sum, dimension, labels)
    }

    private func run(dataset: any ImageDataset, pipeline: TransformPipeline, batchSize: Int, workers: Int,
                     progress: (Int) -> Void) throws -> (features: [Float], dimension: Int, labels: [Int]) {
        let loader = try DataLoader(dataset: dataset, pipeline: pipeline, batchSize: batchSize, shuffle: false, seed: 0,
                                    dropLast: false, workers: workers)
        let sample = loader.sampleShape
        let network = model.network
        let input = Tensor(shape: [batchSize] + sample, on: network.backend)
        let perImage = sample.reduce(1, *)
        var features: [Float] = []
        var labels: [Int] = []
        var dimension = 0
        let it = loader.batches(epoch: 0)
        while let batch = try it.next() {
            // A partial last batch is zero-padded so the network keeps one plan.
            input.view(shape: [batch.count] + sample).copy(fromHost: batch.imageBuffer)
            if batch.count < batchSize { input.view(offset: batch.count * perImage, shape: [(batchSize - batch.count) * perImage]).fill(0) }
            let out = try network.forward(input, upTo: layer.index, .inference)
            dimension = out.shape.dropFirst().reduce(1, *)
            features.append(contentsOf: out.nchwArray().prefix(batch.count * dimension))
            labels.append(contentsOf: batch.labels.prefix(batch.count).map(Int.init))
            progress(labels.count)
        }
        return (features, dimension, labels)
    }

    /// Dense features (see the type's description) at test scales `scales` (nil: the images
    /// as the checkpoint's pipeline leaves them, uncropped), averaged over the scales and,
    /// with `flip`, the flipped images. Consecutive images of one size are run together,
    /// up to `batchSize` at a time. `progress` gets (done, total) over scales × images.
    public func denseFeatures(dataset: any ImageDataset, scales: [Int?], flip: Bool = false, batchSize: Int = 32,
                              progress: ((Int, Int) -> Void)? = nil) throws -> (features: [Float], dimension: Int, labels: [Int]) {
        let o = model.configuration.model
        let dense = try DenseNetwork.make(from: model.network, options: o)
        guard let index = layer.denseIndex(in: dense) else {
            throw FeatureError("layer \(layer.name) has no counterpart in the dense network: use fc6, fc7, classifier.0/1/3/4/6 or a features.N layer")
        }
        let channels = try Sequential.shapes(of: Array(dense.layers.prefix(index + 1)), for: [1, o.inputChannels, o.inputHeight, o.inputWidth])[index][1]
        var sum = [Float](repeating: 0, count: dataset.count * channels)
        let variants = Float(scales.count * (flip ? 2 : 1))
        var done = 0
        for q in scales {
            let whole = model.preprocessing.evaluationPipeline(scale: q, crop: .some(nil))
            var pending: [(row: Int, image: FloatImage)] = []
            func flush() throws {
                guard let first = pending.first?.image else { return }
                let batch = Tensor(pending.flatMap { $0.image.chw() }, shape: [pending.count, first.channels, first.height, first.width],
                                   on: dense.backend)
                let out = try dense.forward(batch, upTo: index, .inference)
                let map = out.nchwArray()
                let positions = out.shape.count == 4 ? out.shape[2] * out.shape[3] : 1
                for (k, item) in pending.enumerated() {
                    for c in 0..<channels {
                        let base = (k * channels + c) * positions
                        let total = map[base..<(base + positions)].reduce(0, +)
                        sum[item.row * channels + c] += total / Float(positions) / variants
                    }
                }
                pending.removeAll(keepingCapacity: true)
            }
            for i in 0..<dataset.count {
                var decoded = try dataset.loadImage(at: i)
                if o.inputChannels == 3 && decoded.channels != 3 { decoded = decoded.rgb() }
                let image = try whole.apply(decoded, seed: 0, epoch: 0, position: i)
                guard image.width >= o.inputWidth && image.height >= o.inputHeight else {
                    throw ShapeError("\(dataset.sourceDescription(at: i)): image \(image.width)×\(image.height) at scale \(q.map(String.init) ?? "as is") is smaller than the \(o.inputWidth)×\(o.inputHeight) training input")
                }
                let views = flip ? [image, image.flippedHorizontally()] : [image]
                if let last = pending.last?.image, last.width != image.width || last.height != image.height || pending.count + views.count > batchSize {
                    try flush()
                }
                pending += views.map { (i, $0) }
                done += 1
                if pending.count >= batchSize { try flush() }
                progress?(done, scales.count * dataset.count)
            }
            try flush()
        }
        return (sum, channels, (0..<dataset.count).map { dataset.label(at: $0) })
    }
}
