/// Trains a small VGG-A with BatchNorm on part of Fashion-MNIST (Debian's
/// `dataset-fashion-mnist`, the default data of `vgg train`) on the CPU, with an observer of
/// our own: it prints one line per epoch and stops the run early, with a checkpoint, once the
/// validation accuracy has not improved for `patience` epochs. So little training leaves the
/// network far from what a full run reaches (docs/results.md): it shows the API, in seconds.
///
///     swift run --package-path Examples TrainFashionMNIST [OUTPUT-DIRECTORY]
import CPUBackend
import Foundation
import Training
import VGG

/// Prints each validation and asks the trainer to stop after `patience` epochs without a
/// better top-1 (the trainer then saves a checkpoint and throws `TrainingError.interrupted`).
final class EarlyStopping: TrainingObserver {
    let patience: Int
    let stopToken: StopToken
    private var best = -1.0, sinceBest = 0

    init(patience: Int, stopToken: StopToken) { self.patience = patience; self.stopToken = stopToken }

    func trainerValidated(_ validation: TrainingValidation) {
        let m = validation.metrics
        print("epoch \(m.epoch): loss \(m.trainLoss), validation top-1 \(m.validationTop1)")
        if m.validationTop1 > best { (best, sinceBest) = (m.validationTop1, 0) } else { sinceBest += 1 }
        if sinceBest >= patience { print("no better top-1 for \(patience) epochs: stopping"); stopToken.request() }
    }
}

let output = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "runs/example")
// Widths ÷16 and a 64-wide classifier: a network of about 80,000 parameters that trains in seconds.
var configuration = TrainingConfiguration(
    model: VGGOptions(configuration: .A, batchNorm: true, classifierWidth: 64, widthDivisor: 16),
    data: .fashionMNIST)
configuration.limitTrain = 1024   // the first 1,024 training images,
configuration.limitTest = 256     // validated on the first 256 test images
configuration.epochs = 4
configuration.batchSize = 32
configuration.learningRate = 0.1

var preprocessing = Preprocessing(mean: [])   // the mean measured on the training images
preprocessing.pad = 2                          // 28 → 32 pixels, as `vgg train` pads IDX images

let trainer = Trainer(configuration: configuration, outputDirectory: output,
                      backend: try CPUBackend(configuration: CPUBackendConfiguration(threads: 2)))
trainer.observers.append(EarlyStopping(patience: 2, stopToken: trainer.stopToken))
do {
    let history = try trainer.run(preprocessing: preprocessing)
    print("trained \(history.count) epochs; best checkpoint \(trainer.bestCheckpointURL.path)")
} catch TrainingError.interrupted(_, let position, let checkpoint) {
    print("stopped early at \(position); checkpoint \(checkpoint), best \(trainer.bestCheckpointURL.path)")
}
