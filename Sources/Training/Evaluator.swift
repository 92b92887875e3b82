import Data
import Foundation
import NN
import Tensors

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
        let sample = loader.sampleShape
        let backend = network.backend
        let input = Tensor(shape: [batchSize] + sample, on: backend)
        let perImage = sample.reduce(1, *)
        var probabilities: Tensor?
        var probs: [Float] = []
        var labels: [Int] = []
        var classes = 0
        let it = loader.batches(epoch: 0)
        var done = 0
        while let batch = try it.next() {
            // A partial last batch is zero-padded so the network keeps one plan.
            input.view(shape: [batch.count] + sample).copy(fromHost: batch.imageBuffer)
            if batch.count < batchSize { input.view(offset: batch.count * perImage, shape: [(batchSize - batch.count) * perImage]).fill(0) }
            let logits = try network.forward(input, .inference)
            classes = logits.shape[1]
            let p = Tensor.reusing(probabilities, shape: logits.shape, on: backend)
            probabilities = p
            backend.softmax(logits, into: p)
            probs.append(contentsOf: p.toArray().prefix(batch.count * classes))
            labels.append(contentsOf: batch.labels.prefix(batch.count).map(Int.init))
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
