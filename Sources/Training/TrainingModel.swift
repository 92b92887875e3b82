import Data
import Foundation
import NN
import Tensors
import VGG

/// The model side of a training run on one backend: the network, its optimizer and loss,
/// the input buffer, the gradient synchronisation across processes, and the training step.
final class TrainingModel {
    let network: Sequential
    let optimizer: SGD
    let loss: SoftmaxCrossEntropy
    let communicator: any Communicator
    /// Sums gradients over the processes (nil in one process).
    let synchronizer: GradientSynchronizer?
    private let input: Tensor

    init(_ config: TrainingConfiguration, sampleShape: [Int], on backend: any Backend, communicator: any Communicator,
         distributed: DistributedSettings) throws {
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
        if communicator.size > 1 {
            let s = GradientSynchronizer(network: network, communicator: communicator, settings: distributed)
            network.observers.append(s)
            synchronizer = s
        } else {
            synchronizer = nil
        }
        if config.syncBatchNorm {
            let c = communicator
            for bn in network.batchNormLayers {
                bn.synchronization = { values in
                    do { return try c.allReduceSum(values, label: "synchronised BatchNorm statistics") } catch {
                        // Inside a layer's pass there is no way back; the other processes stop too (mpirun).
                        FileHandle.standardError.write(Data("\(error)\n".utf8))
                        exit(3)
                    }
                }
            }
        }
    }

    /// The input buffer, cut to `batch`'s number of images.
    func input(for batch: Batch) -> Tensor {
        batch.count == input.shape[0] ? input : input.view(shape: [batch.count] + input.shape.dropFirst())
    }

    /// What a step gives back: the global batch's mean loss and top-1 hits, and whether a
    /// process asked to stop after this batch.
    struct StepResult {
        var loss: Float
        var correct: Int
        var stop: Bool
    }

    /// One step of SGD on this process's slice of a global batch: forward, loss, backward,
    /// gradient synchronisation across processes, update. A non-finite loss (on any process)
    /// returns before anything is updated.
    ///
    /// `stopRequested` says whether this process wants to stop after this batch (a signal
    /// arrived). With several processes it is asked at the loss all-reduce, which carries the
    /// answer to every process, so that all stop after the same batch; in one process, once
    /// the step is done.
    func step(_ batch: Batch, index: Int, stopRequested: () -> Bool = { false }) throws -> StepResult {
        let x = input(for: batch)
        x.copy(fromHost: batch.imageBuffer)
        let logits = try network.forward(x, .training(step: index, firstSample: batch.firstInGlobalBatch))
        let local = loss.forward(logits: logits, labels: Array(batch.labels.prefix(batch.count)))
        let position = "epoch \(batch.epoch + 1), batch \(batch.batchIndex + 1)"
        let sums = try communicator.allReduceSum([Double(local.loss) * Double(batch.count), Double(local.correct),
                                                  communicator.size > 1 && stopRequested() ? 1 : 0],
                                                 label: "the loss of \(position)")
        var result = StepResult(loss: Float(sums[0] / Double(batch.globalCount)), correct: Int(sums[1].rounded()), stop: sums[2] > 0)
        guard result.loss.isFinite else { return result }
        synchronizer?.position = position
        network.backward(loss.backward(globalBatch: batch.globalCount))
        try synchronizer?.finishStep()
        optimizer.step()
        if communicator.size == 1 { result.stop = stopRequested() }
        return result
    }
}
