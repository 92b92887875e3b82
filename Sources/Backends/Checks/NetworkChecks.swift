import NN
import Tensors
import VGG

extension BackendChecker {
    /// The small VGG of the end-to-end check: VGG-A at a quarter width (16 to 128 channels),
    /// a 64-wide classifier with dropout, one 32×32 channel in, 10 classes; `quick`, an eighth
    /// (8 to 64 channels) and a 32-wide classifier.
    static func networkOptions(batchNorm: Bool, quick: Bool) -> VGGOptions {
        VGGOptions(configuration: .A, batchNorm: batchNorm, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                   classifierWidth: quick ? 32 : 64, widthDivisor: quick ? 8 : 4, dropout: 0.5)
    }

    /// End to end: the same network (same seed, same initial weights, same dropout masks)
    /// built on each backend trains three SGD steps (momentum 0.9, weight decay 5e-4) on
    /// the same random batches; the logits and the loss of every step and, after the steps,
    /// every parameter, momentum buffer and running statistic must agree within
    /// `networkTolerance` (relative to each tensor's largest magnitude, at least 1e-3).
    func checkNetwork() {
        let batch = options.quick ? 4 : 8, steps = 3
        for batchNorm in options.quick ? [true] : [false, true] {
            let o = Self.networkOptions(batchNorm: batchNorm, quick: options.quick)
            let inputShape = [batch, o.inputChannels, o.inputHeight, o.inputWidth]
            let shape = "VGG-A\(batchNorm ? "-BN" : "") /\(o.widthDivisor), classifier \(o.classifierWidth), \(dims(inputShape)), \(o.classes) classes"
            check("network", shape, phases: (1...steps).map { "step\($0)" } + ["weights"]) { data in
                let seed = options.seed
                let batches = (0..<steps).map { _ in data.gaussian(inputShape.reduce(1, *)) }
                let labels = (0..<steps).map { _ in data.labels(batch, classes: o.classes).map { Int32($0) } }
                return { run in
                    let criterion = OutputCriterion.close(tolerance: run.networkTolerance, scale: 1e-3)
                    let net = try VGGBuilder.build(o, on: run.backend, initializer: .kaiming, seed: seed)
                    let sgd = SGD(store: net.store, learningRate: 0.02, momentum: 0.9, weightDecay: 5e-4)
                    let loss = SoftmaxCrossEntropy(on: run.backend)
                    try net.prepare(inputShape: inputShape)
                    for step in 0..<steps {
                        let phase = "step\(step + 1)"
                        let x = run.tensor(batches[step], inputShape)
                        let (logits, result) = try run.timed(phase) { () throws -> (Tensor, SoftmaxCrossEntropy.Result) in
                            let logits = try net.forward(x, .training(step: step))
                            return (logits, loss.forward(logits: logits, labels: labels[step]))
                        }
                        run.record(phase, "logits", logits, criterion)
                        run.record(phase, "loss", values: [result.loss], criterion)
                        run.timed(phase) {
                            net.backward(loss.backward())
                            sgd.step()
                        }
                    }
                    for (name, parameter) in net.namedParameters {
                        run.record("weights", name, parameter.value, criterion)
                        if let momentum = sgd.momentum(of: parameter) { run.record("weights", "\(name) momentum", momentum, criterion) }
                    }
                    for (name, buffer) in net.namedBuffers { run.record("weights", name, buffer.value, criterion) }
                }
            }
        }
    }
}
