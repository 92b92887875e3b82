import Data
import Foundation
import NN
import Tensors
import VGG

/// Per-image evaluation for the dense and multi-crop modes, whose inputs vary in size or
/// number per image.
public enum TestTimeEvaluator {
    /// Soft-max posteriors `[count × classes]` for `dataset` at test scale `q` with one mode,
    /// averaged with the horizontally flipped image when `flip` is set.
    public static func posteriors(model: TrainedModel, dense: Sequential?, dataset: any ImageDataset, scale q: Int?,
                                  mode: TestMode, flip: Bool, grid: Int = 5,
                                  progress: ((Int, Int) -> Void)? = nil) throws -> (probabilities: [Float], labels: [Int], classes: Int) {
        let o = model.configuration.model
        let classes = o.classes
        let whole = model.preprocessing.evaluationPipeline(scale: q, crop: .some(nil))
        let cropSize = model.preprocessing.crop ?? o.inputHeight
        let backend = model.backend
        var probs = [Float](repeating: 0, count: dataset.count * classes)
        var labels: [Int] = []
        var posteriors: Tensor?
        for i in 0..<dataset.count {
            var decoded = try dataset.loadImage(at: i)
            if o.inputChannels == 3 && decoded.channels != 3 { decoded = decoded.rgb() }
            let image = try whole.apply(decoded, seed: 0, epoch: 0, position: i)
            var views: [FloatImage] = []
            switch mode {
            case .dense:
                guard image.width >= o.inputWidth && image.height >= o.inputHeight else {
                    throw ShapeError("\(dataset.sourceDescription(at: i)): image \(image.width)×\(image.height) at scale \(q.map(String.init) ?? "as is") is smaller than the \(o.inputWidth)×\(o.inputHeight) training input")
                }
                views = [image]
            case .multiCrop, .single:
                guard image.width >= cropSize && image.height >= cropSize else {
                    throw ShapeError("\(dataset.sourceDescription(at: i)): image \(image.width)×\(image.height) is smaller than the \(cropSize)-pixel crop")
                }
                let n = mode == .single ? 1 : grid
                for gy in 0..<n { for gx in 0..<n {
                    let x = n == 1 ? (image.width - cropSize) / 2 : gx * (image.width - cropSize) / (n - 1)
                    let y = n == 1 ? (image.height - cropSize) / 2 : gy * (image.height - cropSize) / (n - 1)
                    views.append(image.cropped(x: x, y: y, width: cropSize, height: cropSize))
                } }
            }
            if flip { views += views.map { $0.flippedHorizontally() } }
            let net = mode == .dense ? dense! : model.network
            let batch = Tensor(views.flatMap { $0.chw() }, shape: [views.count, views[0].channels, views[0].height, views[0].width],
                               on: backend)
            let scores = try net.forward(batch, .inference)
            let p = Tensor.reusing(posteriors, shape: scores.shape, on: backend)
            posteriors = p
            backend.softmax(scores, into: p)
            let all = p.toArray()
            var row = [Float](repeating: 0, count: classes)
            for k in 0..<views.count { for j in 0..<classes { row[j] += all[k * classes + j] / Float(views.count) } }
            probs.replaceSubrange((i * classes)..<((i + 1) * classes), with: row)
            labels.append(dataset.label(at: i))
            progress?(i + 1, dataset.count)
        }
        return (probs, labels, classes)
    }
}
