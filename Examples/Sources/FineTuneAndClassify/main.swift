/// Fine-tunes a trained Fashion-MNIST checkpoint into a classifier of footwear only (sandal,
/// sneaker, ankle boot): the convolutional part is frozen and copied, the classifier's last
/// layer starts afresh for three classes. Then classifies a few test images with the new
/// checkpoint, as `vgg predict` would classify image files.
///
///     swift run --package-path Examples FineTuneAndClassify CHECKPOINT [OUTPUT-DIRECTORY]
import CPUBackend
import Foundation
import Training

let arguments = Array(CommandLine.arguments.dropFirst())
guard let checkpoint = arguments.first else {
    print("usage: FineTuneAndClassify CHECKPOINT [OUTPUT-DIRECTORY]  (e.g. runs/example/best.ckpt)")
    exit(2)
}
let output = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : "runs/example-footwear")
let backend = try CPUBackend(configuration: CPUBackendConfiguration(threads: 2))

// A vgg checkpoint carries its network's options: the new run starts from them.
let source = try FineTuningSource.read(URL(fileURLWithPath: checkpoint), on: backend)
guard let model = source.model else { fatalError("\(checkpoint) is torchvision weights, not a vgg checkpoint") }
var configuration = TrainingConfiguration(model: model, data: .fashionMNIST)
configuration.classSubset = [5, 7, 9]   // sandal, sneaker, ankle boot: labels 0, 1, 2 of the new network
configuration.freezeThrough = "features"
configuration.limitTrain = 1024
configuration.limitTest = 256
configuration.epochs = 3
configuration.batchSize = 16
configuration.learningRate = 0.05

var preprocessing = Preprocessing(mean: [])
preprocessing.pad = 2
let trainer = Trainer(configuration: configuration, outputDirectory: output, backend: backend)
try trainer.run(preprocessing: preprocessing, finetune: source)

// The fine-tuned network on test images it has not seen (past the validation images).
let footwear = try TrainedModel(contentsOf: trainer.lastCheckpointURL, on: backend)
let predictor = Predictor(model: footwear)
let test = try configuration.data.open(split: .test)
let unseen = (1000..<test.count).filter { configuration.classSubset!.contains(test.label(at: $0)) }.prefix(5)
for index in unseen {
    let best = try predictor.classify(test.loadImage(at: index), top: 1)[0]
    print("test image \(index) (\(test.classNames[test.label(at: index)])): \(best.className), p = \(best.probability)")
}
