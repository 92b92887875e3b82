import Data
import NN
import Tensors
import VGG

/// The model side of a training run on one backend: the network, its optimizer and loss,
/// the input buffer, and the training step.
final class TrainingModel {
    let network: Sequential
    let optimizer: SGD
    let loss: SoftmaxCrossEntropy
    let communicator: any Communicator
    private let input: Tensor

    init(_ config: TrainingConfiguration, sampleShape: [Int], on backend: any Backend, communicator: any Communicator) throws {
        network = try VGGBuilder.build(config.model, on: backend, initializer: config.initializer, seed: config.seed)
        optimizer = SGD(store: network.store, learningRate: config.learningRate, momentum: config.momentum,
                        weightDecay: config.weightDecay, nesterov: config.nesterov)
        loss = SoftmaxCrossEntropy(labelSmoothing: config.labelSmoothing, on: backend)
        input = Tensor(shape: [config.batchSize] + sampleShape, on: backend)
        self.communicator = communicator
    }

    /// One step of SGD on a batch: forward, loss, backward, gradient synchronisation across
    /// processes, update. Returns the batch's mean loss and top-1 hits; a non-finite loss
    /// returns before anything is updated.
    func step(_ batch: Batch, index: Int) throws -> SoftmaxCrossEntropy.Result {
        let x = batch.count == input.shape[0] ? input : input.view(shape: [batch.count] + input.shape.dropFirst())
        x.copy(fromHost: batch.imageBuffer)
        let logits = try network.forward(x, .training(step: index))
        let result = loss.forward(logits: logits, labels: Array(batch.labels.prefix(batch.count)))
        guard result.loss.isFinite else { return result }
        network.backward(loss.backward())
        try communicator.allReduceAverage(network.store.gradients)
        optimizer.step()
        return result
    }
}
