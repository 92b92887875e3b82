import Data
import Foundation
import NN
import Support
import Tensors
import Training
import VGG
import TestSupport
import XCTest

/// `--classes-subset` training, `FeatureExtractor` (centre crop and dense) and a linear
/// probe on held-out classes, on a small generated IDX data set.
final class FeatureExtractionTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        // Four classes of 28×28 images: a bright 10×10 square in one of four quadrants, plus noise.
        var rng = Xoshiro256(seed: 42)
        for (split, n) in [("train", 512), ("t10k", 64)] {
            var pixels: [UInt8] = [], labels: [UInt8] = []
            for i in 0..<n {
                let label = i % 4
                var img = (0..<784).map { _ in UInt8(rng.nextUnit() * 60) }
                let (oy, ox) = (label / 2 * 14 + 2, label % 2 * 14 + 2)
                for y in oy..<(oy + 10) { for x in ox..<(ox + 10) { img[y * 28 + x] = 200 + UInt8(rng.nextUnit() * 55) } }
                pixels += img
                labels.append(UInt8(label))
            }
            let dir = root.appendingPathComponent("data")
            try IDXFile.write(dimensions: [n, 28, 28], bytes: pixels, to: dir.appendingPathComponent("\(split)-images-idx3-ubyte").path, gzip: false)
            try IDXFile.write(dimensions: [n], bytes: labels, to: dir.appendingPathComponent("\(split)-labels-idx1-ubyte").path, gzip: false)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// A net trained one epoch on classes 0 and 1 only.
    func trainOnTwoClasses() throws -> TrainedModel {
        let model = VGGOptions(configuration: .A, batchNorm: true, classes: 4, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 32, widthDivisor: 16, dropout: 0.5)
        var c = TrainingConfiguration(model: model, data: DatasetSpec(kind: .idx, path: root.appendingPathComponent("data").path))
        c.batchSize = 32; c.learningRate = 0.02; c.seed = 3; c.checkpointEvery = 0; c.workers = 2
        c.classSubset = [1, 0]
        var p = Preprocessing(mean: []); p.pad = 2
        let out = root.appendingPathComponent("run")
        let history = try Trainer(configuration: c, outputDirectory: out, backend: TestBackends.primary, log: { _ in }).run(preprocessing: p)
        XCTAssertEqual(history.count, 1)
        let trained = try TrainedModel(contentsOf: out.appendingPathComponent("last.ckpt"), on: TestBackends.primary)
        XCTAssertEqual(trained.configuration.classSubset, [1, 0])
        XCTAssertEqual(trained.configuration.model.classes, 2)
        XCTAssertEqual(trained.classNames, ["1", "0"], "the subset's class names, in the order given")
        return trained
    }

    func testFeaturesOfHeldOutClassesAndTheirLinearProbe() throws {
        let model = try trainOnTwoClasses()
        let spec = model.configuration.data
        let test = try spec.open(split: .test, classes: [2, 3], remapLabels: false)
        XCTAssertEqual(test.count, 32)

        // fc7 is classifier.4 (after the ReLU); the last Linear applied to it on the host gives the logits.
        let fc7 = try FeatureExtractor(model: model, layer: "fc7")
        XCTAssertEqual(fc7.layer.name, "classifier.4")
        XCTAssertEqual(try FeatureLayer("fc6", in: model.network).name, "classifier.1")
        XCTAssertEqual(try FeatureLayer("pool5", in: model.network).name, "features.28", "the fifth max pooling of VGG-A-BN")
        XCTAssertThrowsError(try FeatureLayer("fc9", in: model.network))
        let f = try fc7.features(dataset: test, batchSize: 10, workers: 1)
        XCTAssertEqual(f.dimension, 32)
        XCTAssertEqual(f.labels, (0..<32).map { [2, 3][$0 % 2] })
        XCTAssertFalse(f.features.contains { $0 < 0 }, "after the ReLU")
        let post = try Evaluator.posteriors(network: model.network, dataset: test, pipeline: model.preprocessing.evaluationPipeline(),
                                            batchSize: 10, workers: 1)
        let last = try XCTUnwrap(model.network.layers.last?.layer as? Linear)
        let w = last.weight.value.toArray(), b = last.bias.value.toArray()
        for i in 0..<test.count {
            var logits = (0..<2).map { c in b[c] + (0..<32).reduce(Float(0)) { $0 + w[c * 32 + $1] * f.features[i * 32 + $1] } }
            let m = logits.max()!
            logits = logits.map { exp($0 - m) }
            let total = logits.reduce(0, +)
            for c in 0..<2 { XCTAssertEqual(logits[c] / total, post.probabilities[i * 2 + c], accuracy: 1e-4) }
        }

        // Dense application over the whole 32×32 image has a 1×1 map: the same features.
        let dense = try fc7.denseFeatures(dataset: test, scales: [nil], batchSize: 7)
        XCTAssertEqual(dense.dimension, 32)
        XCTAssertEqual(dense.labels, f.labels)
        for i in f.features.indices { XCTAssertEqual(dense.features[i], f.features[i], accuracy: 1e-4) }
        // Flip averaging is the mean of the two passes; larger scales give maps averaged over space.
        let flipped = try fc7.features(dataset: test, flip: true, batchSize: 10, workers: 1)
        XCTAssertNotEqual(flipped.features, f.features)
        let multi = try fc7.denseFeatures(dataset: test, scales: [32, 48], flip: true)
        XCTAssertEqual(multi.features.count, 32 * 32)
        XCTAssertFalse(multi.features.contains { !$0.isFinite })

        // pool5 is flattened in (C, H, W) order: 512/16 channels of 1×1.
        XCTAssertEqual(try FeatureExtractor(model: model, layer: "pool5").features(dataset: test, batchSize: 10, workers: 1).dimension, 32)
        // features.0 (first convolution, 32×32 map) flattened as PyTorch would: [C, H, W].
        let conv = try FeatureExtractor(model: model, layer: "features.0").features(dataset: test, batchSize: 10, workers: 1)
        XCTAssertEqual(conv.dimension, 4 * 32 * 32)

        // A linear probe on the held-out classes' fc7 features separates them (chance 0.5).
        let train = try spec.open(split: .train, limit: 256, classes: [2, 3], remapLabels: false)
        let tf = try fc7.features(dataset: train, batchSize: 32, workers: 1)
        let probe = try LinearProbe.train(features: tf.features, labels: tf.labels.map { $0 - 2 }, dimension: 32, classes: 2)
        let right = zip(probe.predictions(f.features), f.labels).filter { $0 == $1 - 2 }.count
        XCTAssertGreaterThan(Double(right) / 32, 0.8)
    }
}
