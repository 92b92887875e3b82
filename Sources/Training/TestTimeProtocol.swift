import Data
import Foundation
import VGG

/// A combination of §3.2's test-time procedures whose soft-max posteriors are averaged:
/// modes (single crop, dense, multi-crop) × test scales Q × optionally the flipped images.
public struct TestTimeProtocol: Sendable {
    public var modes: [TestMode]
    /// Test scales Q; nil uses the checkpoint's evaluation scale.
    public var scales: [Int?]
    public var flip: Bool
    /// Side of the multi-crop grid (paper: 5).
    public var grid: Int
    public var batchSize: Int
    public var workers: Int

    public init(modes: [TestMode] = [.single], scales: [Int?] = [nil], flip: Bool = false, grid: Int = 5,
                batchSize: Int = 256, workers: Int = 2) {
        self.modes = modes; self.scales = scales; self.flip = flip; self.grid = grid
        self.batchSize = batchSize; self.workers = workers
    }

    /// Averaged posteriors `[count × classes]`, the labels, and how many posterior sets were averaged.
    public struct Result: Sendable {
        public var probabilities: [Float]
        public var labels: [Int]
        public var classes: Int
        public var variants: Int
    }

    /// Runs every variant over `dataset` and averages the posteriors. `progress` gets
    /// (variant description, done, total).
    public func posteriors(model: TrainedModel, dataset: any ImageDataset,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> Result {
        var sum: [Float] = []
        var labels: [Int] = []
        var classes = 0
        var variants = 0
        func add(_ r: (probabilities: [Float], labels: [Int], classes: Int)) {
            if sum.isEmpty { sum = r.probabilities } else { for i in 0..<sum.count { sum[i] += r.probabilities[i] } }
            labels = r.labels; classes = r.classes; variants += 1
        }
        let dense = modes.contains(.dense) ? try DenseNetwork.make(from: model.network, options: model.configuration.model) : nil
        for q in scales {
            for mode in modes where mode != .single {
                add(try TestTimeEvaluator.posteriors(model: model, dense: dense, dataset: dataset, scale: q, mode: mode,
                                                     flip: flip, grid: grid) { progress?(mode.rawValue, $0, $1) })
            }
        }
        for q in scales where modes.contains(.single) {
            for flipped in (flip ? [false, true] : [false]) {
                add(try Evaluator.posteriors(network: model.network, dataset: dataset,
                                             pipeline: model.preprocessing.evaluationPipeline(scale: q),
                                             batchSize: batchSize, workers: workers, flip: flipped) { progress?("single", $0, $1) })
            }
        }
        return Result(probabilities: sum.map { $0 / Float(max(variants, 1)) }, labels: labels, classes: classes, variants: variants)
    }
}
