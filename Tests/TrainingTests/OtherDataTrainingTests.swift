import Data
import Foundation
import NN
import Support
import Training
import VGG
import TestSupport
import XCTest

/// The trainer on the other data formats: CIFAR-10 binary files and an image folder with
/// the paper's augmentations (rescale, random crop, flip, colour shift).
final class OtherDataTrainingTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-otherdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func tinyModel(classes: Int) -> VGGOptions {
        VGGOptions(configuration: .A, batchNorm: true, classes: classes, inputChannels: 3, inputHeight: 32, inputWidth: 32,
                   classifierWidth: 16, widthDivisor: 16)
    }

    func testTrainsOnCIFAR10BinaryFiles() throws {
        let dir = root.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = Xoshiro256(seed: 1)
        func images(_ n: Int) -> [DecodedImage] {
            (0..<n).map { _ in DecodedImage(width: 32, height: 32, channels: 3, pixels: (0..<3072).map { _ in UInt8(rng.next() % 256) }) }
        }
        for b in 1...5 { try CIFAR10Dataset.writeBatch(labels: (0..<20).map { $0 % 10 }, images: images(20), to: dir.appendingPathComponent("data_batch_\(b).bin").path) }
        try CIFAR10Dataset.writeBatch(labels: (0..<10).map { $0 }, images: images(10), to: dir.appendingPathComponent("test_batch.bin").path)
        var c = TrainingConfiguration(model: tinyModel(classes: 10), data: try DatasetSpec.detect(path: root.path))
        c.batchSize = 16
        c.initializer = .kaiming
        var p = Preprocessing(mean: [])
        p.flip = true
        p.pad = 4
        p.crop = 32
        let history = try Trainer(configuration: c, outputDirectory: root.appendingPathComponent("run"), backend: TestBackends.primary, log: { _ in }).run(preprocessing: p)
        XCTAssertEqual(history.count, 1)
        let model = try TrainedModel(contentsOf: root.appendingPathComponent("run/best.ckpt"), on: TestBackends.primary)
        XCTAssertEqual(model.classNames, CIFAR10Dataset.defaultClassNames)
        XCTAssertEqual(model.preprocessing.mean.count, 3)
        XCTAssertEqual(model.configuration.model.inputChannels, 3)
    }

    func testTrainsOnAnImageFolderWithThePapersAugmentations() throws {
        try LoaderBenchmark.makeSyntheticJPEGFolder(at: root.appendingPathComponent("train").path, classes: 3, imagesPerClass: 8, width: 48, height: 40)
        try LoaderBenchmark.makeSyntheticJPEGFolder(at: root.appendingPathComponent("val").path, classes: 3, imagesPerClass: 2, width: 48, height: 40, seed: 5)
        let spec = try DatasetSpec.detect(path: root.path)
        XCTAssertEqual(spec.kind, .folder)
        var c = TrainingConfiguration(model: tinyModel(classes: 3), data: spec)
        c.batchSize = 8
        c.initializer = .kaiming
        var p = Preprocessing(mean: [])
        p.trainScale = [36, 44]
        p.testScale = 40
        p.crop = 32
        p.flip = true
        p.colorShift = true
        try Trainer(configuration: c, outputDirectory: root.appendingPathComponent("run"), backend: TestBackends.primary, log: { _ in }).run(preprocessing: p)
        let model = try TrainedModel(contentsOf: root.appendingPathComponent("run/last.ckpt"), on: TestBackends.primary)
        XCTAssertEqual(model.classNames.count, 3)
        XCTAssertEqual(model.preprocessing.eigenvalues.count, 3, "PCA lighting needs the training set's RGB eigenvalues")
        XCTAssertEqual(model.configuration.model.inputHeight, 32)
        // Multi-scale, multi-crop and dense evaluation run on the folder's test split.
        let test = try spec.open(split: .test)
        let dense = try DenseNetwork.make(from: model.network, options: model.configuration.model)
        for q in [36, 44] {
            let r = try TestTimeEvaluator.posteriors(model: model, dense: dense, dataset: test, scale: q, mode: .dense, flip: true)
            XCTAssertEqual(r.probabilities.count, test.count * 3)
            for i in 0..<test.count { XCTAssertEqual(r.probabilities[(3 * i)..<(3 * i + 3)].reduce(0, +), 1, accuracy: 1e-4) }
            let m = try TestTimeEvaluator.posteriors(model: model, dense: nil, dataset: test, scale: q, mode: .multiCrop, flip: false, grid: 3)
            XCTAssertEqual(m.labels, r.labels)
        }
    }
}
