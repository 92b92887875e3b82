import Data
import Foundation
import NN
import Tensors
import VGG

/// The model side of a training run on one backend: the network, its optimizer and loss,
/// the input buffer, the gradient synchronisation across processes, and the training step
/// that `Trainer` runs for every batch (and `vgg bench` times).
public final class TrainingModel {
    public let network: Sequential
    /// The optimizer's update; its step count and learning rate come with every `step`.
    public let optimizer: SGD
    public let loss: SoftmaxCrossEntropy
    public let communicator: any Communicator
    /// Sums gradients over the processes (nil in one process).
    public let synchronizer: GradientSynchronizer?
    /// With `--reproducible`: the shard-by-shard gradient sum (then `synchronizer` is nil).
    public let shardedSum: ShardedGradientSum?
    /// The input of one shard (`--reproducible`).
    private let shardInput: Tensor?
    /// With `--reproducible` and BatchNorm: every shard's batch statistics, combined into the
    /// running statistics once per step the same way in every layout.
    private let shardedRunningStatistics: ShardedRunningStatistics?
    private let input: Tensor
    /// Whether each step averages BatchNorm's running statistics over the processes: with
    /// several processes that normalise their own slices (synchronised BatchNorm computes the
    /// same statistics everywhere already).
    private let averagesRunningStatistics: Bool
    /// The first failure of a synchronised BatchNorm's exchange inside a layer's pass (which
    /// cannot throw), thrown by the step once the pass returns.
    private let batchNormFailure = FailureBox()

    /// The network of `config` on `backend`, initialised from its seed, with its fine-tuning
    /// settings (frozen layers, learning-rate multipliers), an input buffer for this process's
    /// slice of `config.batchSize` images of `sampleShape`, and, with several processes, the
    /// gradient synchronisation of `distributed` (and synchronised BatchNorm if configured).
    public init(_ config: TrainingConfiguration, sampleShape: [Int], on backend: any Backend, communicator: any Communicator,
                distributed: DistributedSettings = DistributedSettings()) throws {
        network = try VGGBuilder.build(config.model, on: backend, initializer: config.initializer, seed: config.seed)
        if let m = config.featuresLearningRateMultiplier {
            for (name, p) in network.namedParameters where name.hasPrefix("features.") { p.learningRateMultiplier = m }
        }
        if let frozen = config.freezeThrough {
            let last = try LayerReference.index(of: frozen, in: network)
            guard let lastWithParameters = network.layers.lastIndex(where: { !$0.layer.parameters.isEmpty }), last < lastWithParameters else {
                throw ShapeError("--freeze \(frozen) would freeze every layer with parameters: nothing left to train")
            }
            network.freeze(through: last)
        }
        optimizer = SGD(store: network.store, learningRate: config.learningRate, momentum: config.momentum,
                        weightDecay: config.weightDecay, nesterov: config.nesterov)
        loss = SoftmaxCrossEntropy(labelSmoothing: config.labelSmoothing, on: backend)
        input = Tensor(shape: [config.batchSize / communicator.size] + sampleShape, on: backend)
        self.communicator = communicator
        averagesRunningStatistics = communicator.size > 1 && !config.syncBatchNorm && network.bufferStore.count > 0
        if let shard = config.reproducibleShardSize {
            if let problem = ShardedGradientSum.problem(batch: config.batchSize, shard: shard, processes: communicator.size) {
                throw TrainingError.notReproducible(problem)
            }
            if config.syncBatchNorm {
                throw TrainingError.notReproducible("--sync-batch-norm does not go with it: each shard is normalised with its own statistics (ghost batches), the same in every layout; drop --sync-batch-norm")
            }
            shardedSum = ShardedGradientSum(gradients: network.store.gradients, on: backend, shardSize: shard,
                                            shardsPerProcess: config.batchSize / shard / communicator.size, communicator: communicator)
            shardInput = Tensor(shape: [shard] + sampleShape, on: backend)
            shardedRunningStatistics = ShardedRunningStatistics(network: network, globalShards: config.batchSize / shard)
            synchronizer = nil
        } else if communicator.size > 1 {
            shardedSum = nil; shardInput = nil; shardedRunningStatistics = nil
            let s = GradientSynchronizer(network: network, communicator: communicator, settings: distributed)
            network.observers.append(s)
            synchronizer = s
        } else {
            shardedSum = nil; shardInput = nil; shardedRunningStatistics = nil
            synchronizer = nil
        }
        if config.syncBatchNorm {
            let c = communicator, failure = batchNormFailure
            for bn in network.batchNormLayers {
                bn.synchronization = { values in
                    // Inside a layer's pass there is no way back: the pass goes on with this
                    // process's own statistics, and the step throws the error once it returns.
                    guard failure.error == nil else { return values }
                    do { return try c.allReduceSum(values, label: "synchronised BatchNorm statistics") } catch {
                        failure.error = error
                        return values
                    }
                }
            }
        }
    }

    /// Holds the error of a failed BatchNorm exchange until the pass returns.
    private final class FailureBox {
        var error: (any Error)?
    }

    /// Throws the error of a BatchNorm exchange that failed during the last pass.
    func throwBatchNormFailure() throws {
        if let error = batchNormFailure.error { throw error }
    }

    /// The input buffer, cut to `batch`'s number of images.
    public func input(for batch: Batch) -> Tensor {
        batch.count == input.shape[0] ? input : input.view(shape: [batch.count] + input.shape.dropFirst())
    }

    /// What a step gives back: the global batch's mean loss and top-1 hits, and whether a
    /// process asked to stop after this batch.
    public struct StepResult: Sendable {
        public var loss: Float
        public var correct: Int
        public var stop: Bool
    }

    /// One step of SGD on this process's slice of a global batch: forward, loss, backward,
    /// gradient synchronisation across processes, update. A non-finite loss (on any process)
    /// returns before anything is updated.
    ///
    /// `index` is the step's 0-based position in the run (the first initialises momentum;
    /// dropout masks are keyed by it) and `learningRate` its rate: both the trainer's state's.
    /// `stopRequested` says whether this process wants to stop after this batch. With several
    /// processes it is asked at the loss all-reduce, which carries the answer to every process,
    /// so that all stop after the same batch; in one process, once the step is done.
    public func step(_ batch: Batch, index: Int, learningRate: Float, stopRequested: () -> Bool = { false }) throws -> StepResult {
        if let shardedSum, let shardInput { return try shardedStep(batch, shardedSum, shardInput, index: index, learningRate: learningRate, stopRequested: stopRequested) }
        let x = input(for: batch)
        x.copy(fromHost: batch.imageBuffer)
        let logits = try network.forward(x, .training(step: index, firstSample: batch.firstInGlobalBatch))
        try throwBatchNormFailure()
        let local = loss.forward(logits: logits, labels: Array(batch.labels.prefix(batch.count)))
        let position = "epoch \(batch.epoch + 1), batch \(batch.batchIndex + 1)"
        // BatchNorm's running statistics (updated by this forward pass from this process's slice)
        // ride along and come back averaged, so every process holds the same ones after every
        // step. Averaged only at a save instead, a stop between two scheduled saves would add an
        // average the uninterrupted run does not make, and its resume would differ in the last bits.
        let statistics = averagesRunningStatistics ? network.bufferStore.values.toArray().map(Double.init) : []
        let sums = try communicator.allReduceSum([Double(local.loss) * Double(batch.count), Double(local.correct),
                                                  communicator.size > 1 && stopRequested() ? 1 : 0] + statistics,
                                                 label: "the loss of \(position)")
        if averagesRunningStatistics {
            // In double: the sum of n equal floats divided by n gives each back exactly.
            let n = Double(communicator.size)
            network.bufferStore.values.copy(from: sums[3...].map { Float($0 / n) })
        }
        var result = StepResult(loss: Float(sums[0] / Double(batch.globalCount)), correct: Int(sums[1].rounded()), stop: sums[2] > 0)
        guard result.loss.isFinite else { return result }
        synchronizer?.position = position
        network.backward(loss.backward(globalBatch: batch.globalCount))
        try throwBatchNormFailure()
        try synchronizer?.finishStep()
        optimizer.step(learningRate: learningRate, isFirstStep: index == 0)
        if communicator.size == 1 { result.stop = stopRequested() }
        return result
    }

    /// `step` with `--reproducible`: forward and backward shard by shard (each of the same
    /// size, dropout keyed by each sample's place in the global batch, BatchNorm normalising
    /// with the shard's statistics), the shard gradients added in `ShardedGradientSum`'s fixed
    /// tree, BatchNorm's running statistics updated from every shard's (`ShardedRunningStatistics`),
    /// then the update.
    private func shardedStep(_ batch: Batch, _ sum: ShardedGradientSum, _ x: Tensor, index: Int, learningRate: Float,
                             stopRequested: () -> Bool) throws -> StepResult {
        let n = sum.shardSize
        guard batch.count == n * sum.shardsPerProcess else {
            throw TrainingError.notReproducible("a batch of \(batch.globalCount) images is not \(n * sum.shardsPerProcess * communicator.size) (the data hold fewer images than --batch-size?)")
        }
        sum.beginStep()
        let statistics = shardedRunningStatistics
        statistics?.beginStep()
        var lossSum = 0.0, correct = 0
        for j in 0 ..< sum.shardsPerProcess {
            x.copy(fromHost: batch.imageBuffer(ofSamples: j * n ..< (j + 1) * n))
            let logits = try network.forward(x, .training(step: index, firstSample: batch.firstInGlobalBatch + j * n))
            statistics?.addShard(batch.firstInGlobalBatch / n + j)
            let local = loss.forward(logits: logits, labels: Array(batch.labels[j * n ..< (j + 1) * n]))
            lossSum += Double(local.loss) * Double(n)
            correct += local.correct
            network.backward(loss.backward(globalBatch: batch.globalCount))
            sum.addShard(j)
        }
        let position = "epoch \(batch.epoch + 1), batch \(batch.batchIndex + 1)"
        let sums = try communicator.allReduceSum([lossSum, Double(correct), communicator.size > 1 && stopRequested() ? 1 : 0]
                                                 + (statistics?.exchanged ?? []),
                                                 label: "the loss of \(position)")
        var result = StepResult(loss: Float(sums[0] / Double(batch.globalCount)), correct: Int(sums[1].rounded()), stop: sums[2] > 0)
        guard result.loss.isFinite else { return result }
        statistics?.finishStep(sums[3...])
        try sum.finishStep(label: "the shard gradients of \(position)")
        optimizer.step(learningRate: learningRate, isFirstStep: index == 0)
        if communicator.size == 1 { result.stop = stopRequested() }
        return result
    }
}
