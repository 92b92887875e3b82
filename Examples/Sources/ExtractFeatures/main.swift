/// Uses a trained network as a feature extractor (the paper's Appendix B): the activations of
/// its first fully connected layer (`fc6`, after the ReLU) for training and test images, saved
/// as safetensors, and a linear classifier (logistic regression) trained on them.
///
///     swift run --package-path Examples ExtractFeatures CHECKPOINT [OUTPUT-FILE]
import CPUBackend
import Foundation
import Training

let arguments = Array(CommandLine.arguments.dropFirst())
guard let checkpoint = arguments.first else {
    print("usage: ExtractFeatures CHECKPOINT [OUTPUT-FILE]  (e.g. runs/example/best.ckpt)")
    exit(2)
}
let backend = try CPUBackend(configuration: CPUBackendConfiguration(threads: 2))
let model = try TrainedModel(contentsOf: URL(fileURLWithPath: checkpoint), on: backend)
let extractor = try FeatureExtractor(model: model, layer: "fc6")

// Two disjoint sets of images: 512 of the training split, 256 of the test split.
let trainImages = try model.configuration.data.open(split: .train, limit: 512)
let testImages = try model.configuration.data.open(split: .test, limit: 256)
let train = try extractor.features(dataset: trainImages, batchSize: 64)
let test = try extractor.features(dataset: testImages, batchSize: 64)
let file = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : "fc6-train.safetensors")
try FeatureSet(features: train.features, labels: train.labels, dimension: train.dimension,
               classNames: trainImages.classNames).write(to: file)
print("\(train.labels.count) × \(train.dimension) features of fc6 (\(extractor.layer.name)) in \(file.path)")

let probe = try LinearProbe.train(features: train.features, labels: train.labels, dimension: train.dimension,
                                  classes: trainImages.classNames.count)
let right = zip(probe.predictions(test.features), test.labels).filter { $0 == $1 }.count
print("linear probe on fc6: test top-1 \(Double(right) / Double(test.labels.count))")
