import Data
import NN
import Tensors

/// Where a diverged run went NaN or infinite, found after the fact so that the steps that do
/// not diverge pay nothing: once a non-finite loss (or, before a checkpoint, a non-finite
/// model) has been seen, the model's tensors and the last gradients are scanned layer by
/// layer, and the step's forward pass is run again with every layer's output checked.
///
/// Non-finite weights can stay hidden from the loss for a few steps (ReLU and max-pooling
/// may turn a NaN into a number), so the update that broke them is "this one or an earlier
/// one" unless a checkpoint was due right after it.
extension TrainingModel {
    /// Why the loss of the step on `batch` (0-based step `index`) is not finite. The step
    /// returned before its update, so the gradients in the store are still those of the step
    /// before. Every process of a run calls this together (the forward pass may exchange
    /// BatchNorm statistics).
    func explainNonFiniteLoss(_ batch: Batch, index: Int) throws -> String {
        let x = input(for: batch)
        // With --reproducible the step filled the shard's buffer, not this one (then the pass
        // runs on this process's whole slice at once, BatchNorm on its statistics).
        x.copy(fromHost: batch.imageBuffer)
        var findings: [String] = []
        if !x.isFinite { findings.append("the input images are not finite") }
        var first: Int?
        _ = try network.forward(x, .training(step: index, firstSample: batch.firstInGlobalBatch)) { layer, output in
            if first == nil && !output.isFinite { first = layer }
        }
        try throwBatchNormFailure()
        if let first {
            findings.append("the first non-finite output is \(network.layers[first].name)'s (\(network.layers[first].layer.kind))")
        } else {
            findings.append("every layer's output is finite: the loss overflowed on too large logits")
        }
        // The running statistics are left out: this step's forward passes updated them, and a
        // training step does not use them.
        if let model = explainNonFiniteModel(afterStep: index, runningStatistics: false) { findings.append(model) }
        return findings.joined(separator: "; ")
    }

    /// What in the weights, momentum or (with `runningStatistics`) BatchNorm's running
    /// statistics is not finite after step `step` (1-based; nil when all is finite), and
    /// where that step's gradient first went non-finite.
    func explainNonFiniteModel(afterStep step: Int, runningStatistics: Bool = true) -> String? {
        let statisticsFinite = !runningStatistics || network.bufferStore.values.isFinite
        guard !(network.store.values.isFinite && optimizer.momentumBuffer.isFinite && statisticsFinite) else { return nil }
        for (name, layer) in network.layers {
            let what = "\(name) (\(layer.kind))"
            if layer.parameters.contains(where: { !$0.value.isFinite }) { return updateFailure("the weights of \(what) are", step) }
            if layer.parameters.contains(where: { optimizer.momentum(of: $0)?.isFinite == false }) {
                return updateFailure("the momentum of \(what) is", step)
            }
            if runningStatistics && layer.buffers.contains(where: { !$0.value.isFinite }) {
                return "the running statistics of \(what) are not finite after step \(step) or an earlier one"
            }
        }
        return "the model is not finite after step \(step)"
    }

    /// `what` not finite after an update, and where the last step's gradient first went non-finite.
    private func updateFailure(_ what: String, _ step: Int) -> String {
        guard step > 0 else { return "\(what) not finite before the first step" }
        let when = "\(what) not finite after the update of step \(step) or an earlier one"
        // A NaN gradient spreads to every layer below it: it starts in the first layer the
        // backward pass meets, the last in network order.
        guard let gradient = network.namedParameters.last(where: { !$0.parameter.gradient.isFinite }) else {
            return "\(when); step \(step)'s gradients are finite"
        }
        return "\(when); step \(step)'s gradient first went non-finite, in the backward pass, at \(gradient.name)"
    }
}
