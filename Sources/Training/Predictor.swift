import Data
import Foundation
import NN
import Support
import Tensors

/// Classifies image files with a trained model, preprocessing them exactly as the model's
/// evaluation did (stored in its checkpoint).
public struct Predictor {
    public let model: TrainedModel

    public init(model: TrainedModel) {
        self.model = model
    }

    /// Classes ranked by probability (the first `top`), for one decoded image.
    public func classify(_ image: DecodedImage, top: Int = 5) throws -> [(className: String, probability: Float)] {
        let o = model.configuration.model
        var decoded = image
        if o.inputChannels == 1 && decoded.channels != 1 { decoded = decoded.luma() }
        if o.inputChannels == 3 && decoded.channels != 3 { decoded = decoded.rgb() }
        var pipeline = model.preprocessing.evaluationPipeline()
        if let (width, height) = sourceImageSize, decoded.width != width || decoded.height != height {
            // A model of fixed-size images (Fashion-MNIST, CIFAR): the picture is first brought to
            // their size, as the padding and crop expect (antialiased).
            pipeline.transforms.insert(Resize(width: width, height: height), at: 0)
        }
        var img = try pipeline.apply(decoded, seed: 0, epoch: 0, position: 0)
        if img.width != o.inputWidth || img.height != o.inputHeight {
            // Other sizes than the training input: resized to it (antialiased).
            var rng = Xoshiro256(seed: 0)
            img = try Resize(width: o.inputWidth, height: o.inputHeight).apply(img, using: &rng)
        }
        let input = Tensor(img.chw(), shape: [1, o.inputChannels, o.inputHeight, o.inputWidth], on: model.backend)
        let logits = try model.network.forward(input, .inference)
        let probabilities = Tensor(shape: logits.shape, on: model.backend)
        model.backend.softmax(logits, into: probabilities)
        let e = probabilities.toArray()
        return e.indices.sorted { e[$0] > e[$1] }.prefix(top).map { (model.classNames[$0], e[$0]) }
    }

    /// The size of the training images when the evaluation pipeline does not rescale (data sets
    /// of one image size): the network's input less the padding, or, with a crop, the data
    /// set's own size (28 for IDX files, 32 for CIFAR). Nil when images are rescaled.
    var sourceImageSize: (width: Int, height: Int)? {
        let p = model.preprocessing, o = model.configuration.model
        guard p.evaluationScale == nil else { return nil }
        if p.crop == nil { return (o.inputWidth - 2 * p.pad, o.inputHeight - 2 * p.pad) }
        switch model.configuration.data.kind {
        case .idx: return (28, 28)
        case .cifar10, .cifar100: return (32, 32)
        case .folder: return nil
        }
    }

    /// Reads and classifies an image file (JPEG or PNG).
    public func classify(file path: String, top: Int = 5) throws -> [(className: String, probability: Float)] {
        try classify(ImageDecoder.decodeFile(path), top: top)
    }
}

extension DecodedImage {
    /// ITU-R BT.601 luma, for one-channel models given colour images.
    public func luma() -> DecodedImage {
        guard channels != 1 else { return self }
        let rgb = self.rgb()
        var out = [UInt8](repeating: 0, count: rgb.width * rgb.height)
        for i in 0..<out.count {
            let r = Float(rgb.pixels[3 * i]), g = Float(rgb.pixels[3 * i + 1]), b = Float(rgb.pixels[3 * i + 2])
            out[i] = UInt8(min(255, max(0, (0.299 * r + 0.587 * g + 0.114 * b).rounded())))
        }
        return DecodedImage(width: rgb.width, height: rgb.height, channels: 1, pixels: out)
    }
}
