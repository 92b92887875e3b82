import Data
import Foundation
import NN
import Reports
import Support
import Tensors
import Training
import VGG
import TestSupport
import XCTest
import SafeTensorsFormat

/// End-to-end training on a small generated IDX data set with a width-reduced VGG-A.
final class TrainingTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try makeDataset(at: root.appendingPathComponent("data"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// Four classes of 28×28 images: a bright 10×10 square in one of four quadrants, plus noise.
    func makeDataset(at dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = Xoshiro256(seed: 42)
        for (split, n) in [("train", 1024), ("t10k", 64)] {
            var pixels: [UInt8] = [], labels: [UInt8] = []
            for i in 0..<n {
                let label = i % 4
                var img = (0..<784).map { _ in UInt8(rng.nextUnit() * 60) }
                let (oy, ox) = (label / 2 * 14 + 2, label % 2 * 14 + 2)
                for y in oy..<(oy + 10) { for x in ox..<(ox + 10) { img[y * 28 + x] = 200 + UInt8(rng.nextUnit() * 55) } }
                pixels += img
                labels.append(UInt8(label))
            }
            try IDXFile.write(dimensions: [n, 28, 28], bytes: pixels, to: dir.appendingPathComponent("\(split)-images-idx3-ubyte").path, gzip: false)
            try IDXFile.write(dimensions: [n], bytes: labels, to: dir.appendingPathComponent("\(split)-labels-idx1-ubyte").path, gzip: true)
        }
    }

    func configuration(epochs: Int) -> TrainingConfiguration {
        let model = VGGOptions(configuration: .A, batchNorm: true, classes: 4, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 32, widthDivisor: 16, dropout: 0.5)
        var c = TrainingConfiguration(model: model, data: DatasetSpec(kind: .idx, path: root.appendingPathComponent("data").path))
        c.epochs = epochs
        c.batchSize = 32
        c.learningRate = 0.02
        c.initializer = .kaiming
        c.seed = 3
        c.checkpointEvery = 3
        c.workers = 2
        return c
    }

    func preprocessing() -> Preprocessing {
        var p = Preprocessing(mean: [])
        p.pad = 2
        return p
    }

    func testTrainingReducesLossAndLearns() throws {
        let out = root.appendingPathComponent("run")
        var c = configuration(epochs: 3)
        // Such tiny BatchNorm nets learn this task at seed-dependent speeds (validation top-1
        // after 3 epochs from 0.25 to 1.0 over seeds 0–5, before and after the backend seam):
        // lr 0.05 and seed 3 reach 0.75.
        c.learningRate = 0.05
        c.schedule = .constant
        c.model.dropout = 0
        c.model.widthDivisor = 8
        c.model.classifierWidth = 64
        let history = try Trainer(configuration: c, outputDirectory: out, backend: TestBackends.primary, log: { _ in })
            .run(preprocessing: preprocessing())
        XCTAssertEqual(history.count, 3)
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss)
        XCTAssertGreaterThan(history.last!.validationTop1, 0.6, "\(history)")
        let csv = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("curves.png").path))

        // The trained model predicts sensible classes, through the stored preprocessing.
        let model = try TrainedModel(contentsOf: out.appendingPathComponent("best.ckpt"), on: TestBackends.primary)
        XCTAssertEqual(model.classNames.count, 10, "IDX data without names gets the ten digit classes")
        let test = try model.configuration.data.open(split: .test)
        let post = try Evaluator.posteriors(network: model.network, dataset: test, pipeline: model.preprocessing.evaluationPipeline(),
                                            batchSize: 32, workers: 1)
        let r = Evaluator.score(probabilities: post.probabilities, labels: post.labels, classes: post.classes, classNames: model.classNames)
        XCTAssertEqual(r.count, 64)
        XCTAssertGreaterThan(r.top1Accuracy, 0.6)

        // §3.2: dense evaluation over the whole (32×32) image equals the single-crop posteriors;
        // multi-crop at the crop size is the same crop 25 times.
        let dense = try DenseNetwork.make(from: model.network, options: model.configuration.model)
        let d = try TestTimeEvaluator.posteriors(model: model, dense: dense, dataset: test, scale: nil, mode: .dense, flip: false)
        let m = try TestTimeEvaluator.posteriors(model: model, dense: nil, dataset: test, scale: nil, mode: .multiCrop, flip: false)
        XCTAssertEqual(d.labels, post.labels)
        for i in 0..<post.probabilities.count {
            XCTAssertEqual(d.probabilities[i], post.probabilities[i], accuracy: 1e-5)
            XCTAssertEqual(m.probabilities[i], post.probabilities[i], accuracy: 1e-5)
        }

        // `vgg predict`'s path: PNG files of test images get their class ranked first for most
        // of them, with probabilities that sum to at most 1.
        let predictor = Predictor(model: model)
        var right = 0
        for i in 0..<8 {
            let url = root.appendingPathComponent("sample\(i).png")
            let image = try test.loadImage(at: i)
            try PNGFile.write(path: url.path, width: image.width, height: image.height, format: .gray8, pixels: image.pixels)
            let ranked = try predictor.classify(file: url.path, top: 5)
            XCTAssertEqual(ranked.count, 5)
            XCTAssertLessThanOrEqual(ranked.map(\.probability).reduce(0, +), 1.0001)
            if ranked[0].className == model.classNames[test.label(at: i)] { right += 1 }

            // A photo-sized colour picture of the same image (3× larger, RGB) is brought to the
            // data's 28×28 before the model's padding: the same top class.
            let big = url.deletingLastPathComponent().appendingPathComponent("sample\(i)-big.png")
            var rgb = [UInt8](repeating: 0, count: 84 * 84 * 3)
            for y in 0..<84 { for x in 0..<84 { for c in 0..<3 { rgb[(y * 84 + x) * 3 + c] = image.pixels[(y / 3) * 28 + x / 3] } } }
            try PNGFile.write(path: big.path, width: 84, height: 84, format: .rgb8, pixels: rgb)
            XCTAssertEqual(try predictor.classify(file: big.path, top: 1)[0].className, ranked[0].className, "sample \(i) at 84×84")
        }
        XCTAssertGreaterThanOrEqual(right, 6)
    }

    /// Stops a run after a number of batches, as if the process had been killed.
    final class StopAfter: TrainingObserver {
        let batches: Int
        private(set) var seen = 0
        init(_ batches: Int) { self.batches = batches }
        func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
            seen += 1
            return seen >= batches ? .stop : .proceed
        }
    }

    func trainer(_ c: TrainingConfiguration, _ out: URL, stopAfter: Int? = nil, on backend: (any Backend)? = nil) -> Trainer {
        let t = Trainer(configuration: c, outputDirectory: out, backend: backend ?? TestBackends.primary, log: { _ in })
        if let stopAfter { t.observers.append(StopAfter(stopAfter)) }
        return t
    }

    func assertSameTensors(_ a: Checkpoint, _ b: Checkpoint, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(a.tensorNames, b.tensorNames, file: file, line: line)
        for name in a.tensorNames {
            XCTAssertEqual(try a.values(name), try b.values(name), "\(name) differs after resume", file: file, line: line)
        }
    }

    func testResumeAfterKillReachesTheSameWeights() throws {
        let full = root.appendingPathComponent("full"), killed = root.appendingPathComponent("killed")
        // With label smoothing and dropout, which the resumed run must take from the checkpoint to match.
        var c = configuration(epochs: 2)
        c.labelSmoothing = 0.1
        try trainer(c, full).run(preprocessing: preprocessing())
        // Interrupted after 37 batches (epoch 2, batch 5; last checkpoint at batch 3 of 32), as by kill -9.
        try trainer(c, killed, stopAfter: 37).run(preprocessing: preprocessing())
        let partial = try Checkpoint.read(from: killed.appendingPathComponent("last.ckpt"))
        XCTAssertEqual(partial.header.state.epoch, 1)
        XCTAssertEqual(partial.header.state.batchInEpoch, 3)
        XCTAssertEqual(partial.header.state.optimizerSteps, 35)
        XCTAssertEqual(partial.header.configuration.labelSmoothing, 0.1)
        try trainer(configuration(epochs: 2), killed).run(resume: true)
        let a = try Checkpoint.read(from: full.appendingPathComponent("last.ckpt"))
        let b = try Checkpoint.read(from: killed.appendingPathComponent("last.ckpt"))
        try assertSameTensors(a, b)
        XCTAssertEqual(a.header.state.history.map(\.validationTop1), b.header.state.history.map(\.validationTop1))
        XCTAssertEqual(a.header.state.curve, b.header.state.curve, "the running curve resumes exactly too")
        XCTAssertEqual(a.header.state.history.map(\.trainLoss), b.header.state.history.map(\.trainLoss))
    }

    /// `--finetune`: every tensor whose name and shape match is copied from the source; a last
    /// layer for another class count is made afresh and named in the outcome.
    func testFineTuningCopiesMatchingTensors() throws {
        var c = configuration(epochs: 1)
        c.model.batchNorm = false
        try trainer(c, root.appendingPathComponent("source")).run(preprocessing: preprocessing())
        let source = try FineTuningSource.read(root.appendingPathComponent("source/last.ckpt"), on: TestBackends.primary)
        XCTAssertEqual(source.model?.configuration, c.model.configuration)
        XCTAssertEqual(source.model?.widthDivisor, c.model.widthDivisor)
        XCTAssertEqual(source.model?.classifierWidth, c.model.classifierWidth)
        // A run from it with learning rate 0 (and no BatchNorm statistics to move) ends with
        // exactly the source's weights: all of them were copied.
        var same = c
        same.learningRate = 0
        same.schedule = .constant
        try trainer(same, root.appendingPathComponent("tuned")).run(preprocessing: preprocessing(), finetune: source)
        let a = try Checkpoint.read(from: root.appendingPathComponent("source/last.ckpt"))
        let b = try Checkpoint.read(from: root.appendingPathComponent("tuned/last.ckpt"))
        for name in a.tensorNames where !name.hasPrefix(Checkpoint.momentumPrefix) {
            XCTAssertEqual(try a.values(name), try b.values(name), name)
        }
        // Another class count: the last layer is new.
        var five = source.model!
        five.classes = source.model!.classes + 1
        let network = try VGGBuilder.build(five, on: TestBackends.primary, initializer: .kaiming, seed: 1)
        let outcome = source.copy(into: network)
        XCTAssertEqual(Set(outcome.fresh.map(\.name)), ["classifier.6.weight", "classifier.6.bias"])
        XCTAssertEqual(outcome.copied.count, network.namedParameters.count - 2)
    }

    /// `--freeze features`: the convolutional layers keep their initial weights, the classifier
    /// learns; `LayerReference` finds layers by torchvision's and the paper's names.
    func testFreezingKeepsTheFrozenLayersAsTheyWere() throws {
        var c = configuration(epochs: 1)
        c.model.batchNorm = false
        c.freezeThrough = "features"
        try trainer(c, root.appendingPathComponent("frozen")).run(preprocessing: preprocessing())
        let trained = try Checkpoint.read(from: root.appendingPathComponent("frozen/last.ckpt"))
        var model = c.model
        model.classes = trained.header.configuration.model.classes
        (model.inputChannels, model.inputHeight, model.inputWidth) = (trained.header.configuration.model.inputChannels,
                                                                     trained.header.configuration.model.inputHeight,
                                                                     trained.header.configuration.model.inputWidth)
        let initial = try VGGBuilder.build(model, on: TestBackends.primary, initializer: c.initializer, seed: c.seed)
        var changed = 0
        for (name, p) in initial.namedParameters {
            let same = try trained.values(name) == p.value.toArray()
            if name.hasPrefix("features.") { XCTAssertTrue(same, "\(name) changed although frozen") } else if !same { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 0, "the classifier did not learn")
        XCTAssertEqual(trained.header.configuration.freezeThrough, "features")

        let net = try VGGBuilder.build(model, on: TestBackends.primary, initializer: .kaiming, seed: 1)
        XCTAssertEqual(try LayerReference.index(of: "features.3", in: net), 3)
        let conv3_1 = try LayerReference.index(of: "conv3_1", in: net)
        XCTAssertTrue(net.layers[conv3_1].layer is Conv2d)
        XCTAssertEqual(net.layers[..<conv3_1].filter { $0.layer is MaxPool2d }.count, 2)
        XCTAssertTrue(net.layers[try LayerReference.index(of: "fc7", in: net)].layer is Linear)
        XCTAssertThrowsError(try LayerReference.index(of: "conv9_9", in: net))
    }

    /// `--max-steps`: the run stops after that many optimizer steps, inside an epoch, with a
    /// validation and a checkpoint at that step.
    func testMaxStepsStopsInsideAnEpoch() throws {
        var c = configuration(epochs: 3)
        c.maxSteps = 40  // 32 batches per epoch: 8 into the second
        let history = try trainer(c, root.appendingPathComponent("capped")).run(preprocessing: preprocessing())
        XCTAssertEqual(history.count, 2)
        let saved = try Checkpoint.read(from: root.appendingPathComponent("capped/last.ckpt"))
        XCTAssertEqual(saved.header.state.optimizerSteps, 40)
        XCTAssertEqual(saved.header.configuration.maxSteps, 40)
        XCTAssertEqual(saved.header.state.history.count, 2)
    }

    /// The checkpoint is a safetensors file: torchvision's names, I64 batch counts, the
    /// momentum beside the weights, the header and a CRC in the metadata.
    func testCheckpointIsASafetensorsFileOfTheStateDict() throws {
        let out = root.appendingPathComponent("st")
        try trainer(configuration(epochs: 1), out, stopAfter: 3).run(preprocessing: preprocessing())
        let url = out.appendingPathComponent("last.ckpt")
        let file = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(file.metadata["format"], "pt")
        XCTAssertNotNil(file.metadata["vgg-swift.checkpoint"])
        XCTAssertEqual(file.metadata["vgg-swift.crc32"]?.count, 8)
        XCTAssertEqual(file.tensors["features.0.weight"]?.shape, [4, 1, 3, 3])
        XCTAssertEqual(file.tensors["features.1.num_batches_tracked"]?.values, [3])
        XCTAssertEqual(file.tensors["momentum.features.0.weight"]?.shape, [4, 1, 3, 3])
        XCTAssertNil(file.tensors["momentum.features.1.running_mean"], "running statistics have no momentum")
        let model = try TrainedModel(contentsOf: url, on: TestBackends.primary)
        for (name, p) in model.network.namedParameters + model.network.namedBuffers {
            XCTAssertEqual(p.value.toArray(), file.tensors[name]?.values, name)
        }
    }

    func testConfigurationsSavedBeforeLabelSmoothingDecodeWithoutIt() throws {
        var c = configuration(epochs: 1)
        c.labelSmoothing = 0.1
        let json = try JSONEncoder().encode(c)
        XCTAssertEqual(try JSONDecoder().decode(TrainingConfiguration.self, from: json), c)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertNotNil(object.removeValue(forKey: "labelSmoothing"))
        let old = try JSONDecoder().decode(TrainingConfiguration.self, from: try JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.labelSmoothing, 0)
    }

    func testScoresOfAHandCheckedCase() {
        // 3 classes, 4 samples. Sample 2 is wrong in top-1 but right in top-2.
        let p: [Float] = [0.7, 0.2, 0.1,
                          0.1, 0.8, 0.1,
                          0.5, 0.3, 0.2,
                          0.2, 0.2, 0.6]
        let r = Evaluator.score(probabilities: p, labels: [0, 1, 1, 2], classes: 3, classNames: ["a", "b", "c"])
        XCTAssertEqual(r.top1Accuracy, 0.75)
        XCTAssertEqual(r.top5Accuracy, 1.0)
        XCTAssertEqual(r.confusion, [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
        XCTAssertEqual(r.perClassAccuracy, [1, 0.5, 1])
        XCTAssertEqual(r.loss, -(log(0.7) + log(0.8) + log(0.3) + log(0.6)) / 4, accuracy: 1e-6)
        XCTAssertEqual(r.mostConfusedPairs(1).first?.trueClass, 1)
    }

    func testBadCheckpointsGiveClearErrors() throws {
        let out = root.appendingPathComponent("bad")
        try trainer(configuration(epochs: 1), out, stopAfter: 3).run(preprocessing: preprocessing())
        let good = out.appendingPathComponent("last.ckpt")
        let original = try Data(contentsOf: good)

        XCTAssertThrowsError(try Checkpoint.read(from: out.appendingPathComponent("missing.ckpt"))) { e in
            XCTAssertTrue("\(e)".contains("missing.ckpt"), "\(e)")
        }
        var corrupt = original
        corrupt[corrupt.count / 2] ^= 0xFF
        let corruptURL = out.appendingPathComponent("corrupt.ckpt")
        try corrupt.write(to: corruptURL)
        XCTAssertThrowsError(try Checkpoint.read(from: corruptURL)) { e in XCTAssertTrue("\(e)".contains("corrupt"), "\(e)") }
        let truncatedURL = out.appendingPathComponent("truncated.ckpt")
        try original.prefix(original.count / 3).write(to: truncatedURL)
        XCTAssertThrowsError(try Checkpoint.read(from: truncatedURL)) { e in XCTAssertTrue("\(e)".contains("truncated.ckpt"), "\(e)") }

        // A checkpoint for another architecture does not load into this network.
        let ck = try Checkpoint.read(from: good)
        let other = try VGGBuilder.build(VGGOptions(configuration: .B, batchNorm: true, classes: 4, inputChannels: 1, inputHeight: 32,
                                                    inputWidth: 32, classifierWidth: 32, widthDivisor: 16), on: TestBackends.primary, initializer: nil)
        XCTAssertThrowsError(try ck.loadModel(into: other)) { e in
            XCTAssertTrue("\(e)".contains("does not fit"), "\(e)")
        }

        // A failed save (the temporary file cannot be created) leaves the previous checkpoint intact.
        let blocker = out.appendingPathComponent(".last.ckpt.tmp-\(getpid())")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        let model = try TrainedModel(contentsOf: good, on: TestBackends.primary)
        func save() throws { try Checkpoint.write(ck.header, network: model.network, to: good) }
        XCTAssertThrowsError(try save()) { e in XCTAssertTrue("\(e)".contains("previous file is unchanged"), "\(e)") }
        XCTAssertEqual(try Data(contentsOf: good), original)

        // A full disk: the kernel's own ENOSPC, from /dev/full standing in for the temporary file.
        try FileManager.default.removeItem(at: blocker)
        if FileManager.default.fileExists(atPath: "/dev/full") {
            try FileManager.default.createSymbolicLink(atPath: blocker.path, withDestinationPath: "/dev/full")
            XCTAssertThrowsError(try save()) { e in
                XCTAssertTrue("\(e)".contains("No space left on device") && "\(e)".contains("last.ckpt")
                              && "\(e)".contains("previous file is unchanged"), "\(e)")
            }
            XCTAssertEqual(try Data(contentsOf: good), original)
            XCTAssertFalse(FileManager.default.fileExists(atPath: blocker.path), "the failed temporary file is removed")
        }
    }

    func testDeeperNetPreinitialisedFromNetA() throws {
        let a = root.appendingPathComponent("a")
        try trainer(configuration(epochs: 1), a, stopAfter: 3).run(preprocessing: preprocessing())
        var c = configuration(epochs: 1)
        c.model.configuration = .D
        var lines: [String] = []
        let t = Trainer(configuration: c, outputDirectory: root.appendingPathComponent("d"), backend: TestBackends.primary, log: { lines.append($0) })
        t.observers.append(StopAfter(2))
        try t.run(preprocessing: preprocessing(), initFrom: a.appendingPathComponent("last.ckpt"))
        let line = try XCTUnwrap(lines.first { $0.hasPrefix("pre-initialised") })
        XCTAssertTrue(line.contains("features.0→features.0") && line.contains("features.4→features.7")
                      && line.contains("classifier.6→classifier.6"), line)
    }

    func testResumeWithoutCheckpointIsAnError() {
        let t = trainer(configuration(epochs: 1), root.appendingPathComponent("none"))
        XCTAssertThrowsError(try t.run(resume: true)) { e in XCTAssertTrue("\(e)".contains("nothing to resume"), "\(e)") }
    }
}
