import Data
import Foundation
import Kernels
import NN

/// Top-1/top-5 accuracy, loss, confusion matrix and per-class accuracy of a model on a data set.
public struct EvaluationResult: Codable, Sendable {
    public var count: Int
    public var loss: Double
    public var top1Accuracy: Double
    public var top5Accuracy: Double
    public var top1Error: Double { 1 - top1Accuracy }
    public var top5Error: Double { 1 - top5Accuracy }
    public var classNames: [String]
    /// confusion[true][predicted]
    public var confusion: [[Int]]
    public var perClassAccuracy: [Double] {
        confusion.enumerated().map { i, row in
            let n = row.reduce(0, +)
            return n == 0 ? .nan : Double(row[i]) / Double(n)
        }
    }
    /// The most confused (true, predicted, count) pairs, largest first.
    public func mostConfusedPairs(_ k: Int = 5) -> [(trueClass: Int, predicted: Int, count: Int)] {
        var pairs: [(Int, Int, Int)] = []
        for (i, row) in confusion.enumerated() { for (j, c) in row.enumerated() where i != j && c > 0 { pairs.append((i, j, c)) } }
        return pairs.sorted { $0.2 > $1.2 }.prefix(k).map { ($0.0, $0.1, $0.2) }
    }
}

/// Runs a network over a data set in inference mode and averages soft-max posteriors
/// over test-time variants (flips, scales): the paper's §3.2 combinations.
public enum Evaluator {
    /// Posteriors `[count × classes]` for one evaluation pipeline, plus labels.
    /// Partial last batches are zero-padded to `batchSize` so the network keeps one plan.
    public static func posteriors(network: Sequential, dataset: any ImageDataset, pipeline: TransformPipeline,
                                  batchSize: Int, workers: Int, flip: Bool = false,
                                  progress: ((Int, Int) -> Void)? = nil) throws -> (probabilities: [Float], labels: [Int], classes: Int) {
        let p = flip ? pipeline.appending(HorizontalFlipAlways()) : pipeline
        let loader = try DataLoader(dataset: dataset, pipeline: p, batchSize: batchSize, shuffle: false, seed: 0,
                                    dropLast: false, workers: workers)
        let shape = [batchSize] + loader.sampleShape
        let input = Tensor(shape: shape)
        var probs: [Float] = []
        var labels: [Int] = []
        var classes = 0
        let it = loader.batches(epoch: 0)
        var done = 0
        while let batch = try it.next() {
            input.fill(0)
            input.data.update(from: batch.images, count: batch.elementCount)
            let logits = try network.forward(input, mode: .inference)
            classes = logits.shape[1]
            for i in 0..<batch.count {
                probs.append(contentsOf: softmax(logits.data + i * classes, count: classes))
                labels.append(Int(batch.labels[i]))
            }
            done += batch.count
            progress?(done, dataset.count)
        }
        return (probs, labels, classes)
    }

    /// Scores averaged posteriors against labels.
    public static func score(probabilities: [Float], labels: [Int], classes: Int, classNames: [String]) -> EvaluationResult {
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var top1 = 0, top5 = 0
        var loss = 0.0
        for (i, label) in labels.enumerated() {
            let row = Array(probabilities[(i * classes)..<((i + 1) * classes)])
            let ranked = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
            if ranked[0] == label { top1 += 1 }
            if ranked.prefix(5).contains(label) { top5 += 1 }
            if label >= 0 && label < classes { confusion[label][ranked[0]] += 1 }
            loss -= log(Double(max(row[label], 1e-12)))
        }
        let n = max(labels.count, 1)
        return EvaluationResult(count: labels.count, loss: loss / Double(n), top1Accuracy: Double(top1) / Double(n),
                                top5Accuracy: Double(top5) / Double(n), classNames: classNames, confusion: confusion)
    }
}

/// A horizontal flip applied to every image (test-time flip averaging).
public struct HorizontalFlipAlways: ImageTransform {
    public init() {}
    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        image.flippedHorizontally()
    }
}
