import NN
import Tensors

/// BatchNorm's running statistics with `vgg train --reproducible`, the same in every process
/// layout. Each shard of the global batch is normalised with its own statistics (ghost batch
/// normalisation, Hoffer et al. 2017: the shard is the ghost batch, the same images in every
/// layout), so its forward and backward do not depend on the layout; the layers keep each
/// shard's statistics (`BatchNorm2d.keepsBatchStatistics`) instead of updating their running
/// ones in a process-local sequence.
///
/// Every shard's per-channel mean and unbiased variance go into a buffer with one slot per
/// shard of the global batch, the other slots zero, which rides along in the loss all-reduce
/// (in double, from float32 values: adding zeros is exact, negative zeros are made positive
/// first, in every layout). Then every process makes the same one update per step and layer
/// from the global batch's statistics, combined from the shards' in shard order in double:
///
///     μ = Σₛ μₛ / K,  σ² = Σₛ [(n − 1)·σₛ² + n·(μₛ − μ)²] / (K·n − 1)
///
/// (K shards of n values per channel, σₛ² unbiased), `running ← (1 − m)·running + m·batch`
/// with the layer's momentum m, and `batchesTracked` + 1: the rule of one process without
/// `--reproducible` and PyTorch's (one update per step with the whole batch's mean and
/// unbiased variance), not one update per shard.
public final class ShardedRunningStatistics {
    private let layers: [BatchNorm2d]
    /// Shards of the global batch (K).
    public let globalShards: Int
    /// Values per shard's slot: every layer's channels, means then variances.
    private let slotWidth: Int
    private var slots: [Double]

    /// For the BatchNorm layers of `network` (which it sets to keep their batch statistics),
    /// in steps of `globalShards` shards; nil when the network has none.
    public init?(network: Sequential, globalShards: Int) {
        layers = network.batchNormLayers
        guard !layers.isEmpty else { return nil }
        for bn in layers { bn.keepsBatchStatistics = true }
        self.globalShards = globalShards
        slotWidth = layers.reduce(0) { $0 + 2 * $1.channels }
        slots = [Double](repeating: 0, count: globalShards * slotWidth)
    }

    /// Starts a step: every slot zero.
    public func beginStep() {
        for i in slots.indices { slots[i] = 0 }
    }

    /// Takes the statistics of global shard `shard` (0-based, its place in the global batch),
    /// whose forward pass just ran.
    public func addShard(_ shard: Int) {
        var i = shard * slotWidth
        for bn in layers {
            guard let s = bn.lastBatchStatistics else { preconditionFailure("BatchNorm kept no statistics: no training forward?") }
            for v in s.mean { slots[i] = Double(v) + 0; i += 1 }
            for v in s.variance { slots[i] = Double(v) + 0; i += 1 }
        }
    }

    /// This process's slots, to be summed over the processes.
    public var exchanged: [Double] { slots }

    /// After the exchange: `all` holds every shard's statistics; updates every layer's running
    /// statistics once from the global batch's.
    public func finishStep(_ all: ArraySlice<Double>) {
        precondition(all.count == slots.count, "\(all.count) exchanged statistics, expected \(slots.count)")
        let base = all.startIndex
        var offset = 0
        let K = Double(globalShards)
        for bn in layers {
            let C = bn.channels
            let n = Double(bn.lastBatchStatistics!.valuesPerChannel)
            var runningMean = bn.runningMean.value.toArray(), runningVariance = bn.runningVariance.value.toArray()
            let m = Double(bn.momentum)
            for c in 0 ..< C {
                func mean(_ s: Int) -> Double { all[base + s * slotWidth + offset + c] }
                func variance(_ s: Int) -> Double { all[base + s * slotWidth + offset + C + c] }
                var sum = 0.0
                for s in 0 ..< globalShards { sum += mean(s) }
                let mu = sum / K
                var squares = 0.0
                for s in 0 ..< globalShards {
                    let d = mean(s) - mu
                    squares += (n - 1) * variance(s) + n * d * d
                }
                let unbiased = squares / max(K * n - 1, 1)
                runningMean[c] = Float((1 - m) * Double(runningMean[c]) + m * mu)
                runningVariance[c] = Float((1 - m) * Double(runningVariance[c]) + m * unbiased)
            }
            bn.runningMean.value.copy(from: runningMean)
            bn.runningVariance.value.copy(from: runningVariance)
            bn.batchesTracked += 1
            offset += 2 * C
        }
    }
}
