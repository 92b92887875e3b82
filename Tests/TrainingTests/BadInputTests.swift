import Data
import Foundation
import Support
import Training
import VGG
import TestSupport
import XCTest

/// Output directories that cannot be used and data that is missing or of the wrong kind:
/// clear errors naming the path and the problem, before any training or evaluation.
extension TrainingTests {
    /// Runs the trainer on `c` into `out`, expecting an error; returns its message and what was logged.
    func failingRun(_ c: TrainingConfiguration, _ out: URL, file: StaticString = #filePath, line: UInt = #line) -> (message: String, log: [String]) {
        var lines: [String] = []
        var message = ""
        let t = Trainer(configuration: c, outputDirectory: out, backend: TestBackends.primary, log: { lines.append($0) })
        XCTAssertThrowsError(try t.run(preprocessing: preprocessing()), file: file, line: line) { message = "\($0)" }
        return (message, lines)
    }

    func testUnusableOutputDirectoriesFailBeforeTraining() throws {
        let c = configuration(epochs: 1)
        let file = root.appendingPathComponent("notes.txt")
        try Data("keep me".utf8).write(to: file)

        let under = failingRun(c, file.appendingPathComponent("run"))
        XCTAssertEqual(under.message, "output directory \(file.path)/run cannot be created: \(file.path) is a file, not a directory")
        XCTAssertEqual(under.log, [], "nothing was prepared or trained")
        let deeper = failingRun(c, file.appendingPathComponent("a/b"))
        XCTAssertEqual(deeper.message, "output directory \(file.path)/a/b cannot be created: \(file.path) is a file, not a directory")

        let onFile = failingRun(c, file)
        XCTAssertEqual(onFile.message, "output directory \(file.path) exists and is not a directory")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me", "nothing is overwritten")

        // Permissions do not hold back root: the read-only directory is checked for other users only.
        if getuid() != 0 {
            let locked = root.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
            chmod(locked.path, 0o555)
            defer { chmod(locked.path, 0o755) }
            XCTAssertEqual(failingRun(c, locked).message, "output directory \(locked.path) is not writable (Permission denied)")
            XCTAssertEqual(failingRun(c, locked.appendingPathComponent("run")).message,
                           "output directory \(locked.path)/run cannot be created: mkdir \(locked.path)/run: Permission denied")
        }
        // A directory that does not exist yet is created, parents included.
        try trainer(c, root.appendingPathComponent("new/nested/run"), stopAfter: 3).run(preprocessing: preprocessing())
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("new/nested/run/last.ckpt").path))
    }

    func testMissingDataIsNamed() throws {
        var c = configuration(epochs: 1)
        let missing = root.appendingPathComponent("missing")
        XCTAssertThrowsError(try DatasetSpec.detect(path: missing.path)) { e in
            XCTAssertEqual("\(e)", "\(missing.path): data directory does not exist")
        }
        c.data = DatasetSpec(kind: .idx, path: missing.path)
        XCTAssertEqual(failingRun(c, root.appendingPathComponent("run1")).message, "\(missing.path): IDX dataset directory not found")

        // Images without their labels.
        let partial = root.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: root.appendingPathComponent("data/train-images-idx3-ubyte"),
                                         to: partial.appendingPathComponent("train-images-idx3-ubyte"))
        c.data = try DatasetSpec.detect(path: partial.path)
        XCTAssertEqual(failingRun(c, root.appendingPathComponent("run2")).message,
                       "\(partial.path)/train-labels-idx1-ubyte[.gz]: IDX labels file for the train split not found")
    }

    func testEvaluatingDataOfAnotherShapeNamesBothShapes() throws {
        // A colour model (CIFAR-10 binary files, 3×32×32, 10 classes).
        let cifar = root.appendingPathComponent("cifar/cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: cifar, withIntermediateDirectories: true)
        var rng = Xoshiro256(seed: 1)
        let images = (0..<32).map { _ in DecodedImage(width: 32, height: 32, channels: 3, pixels: (0..<3072).map { _ in UInt8(rng.next() % 256) }) }
        for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"] {
            try CIFAR10Dataset.writeBatch(labels: (0..<32).map { $0 % 10 }, images: images, to: cifar.appendingPathComponent("\(name).bin").path)
        }
        var c = configuration(epochs: 1)
        c.data = try DatasetSpec.detect(path: cifar.deletingLastPathComponent().path)
        c.model.inputChannels = 3
        try trainer(c, root.appendingPathComponent("colour"), stopAfter: 3).run(preprocessing: Preprocessing(mean: []))
        let colour = try TrainedModel(contentsOf: root.appendingPathComponent("colour/last.ckpt"), on: TestBackends.primary)

        // Evaluated on gray 28×28 IDX images.
        let gray = root.appendingPathComponent("data")
        let idx = try DatasetSpec.detect(path: gray.path).open(split: .test)
        XCTAssertThrowsError(try colour.checkCompatible(with: idx, path: gray.path)) { e in
            XCTAssertEqual("\(e)", "\(gray.path): its images are 1×28×28 (channels×height×width, after the model's preprocessing) "
                           + "but the model takes 3×32×32 (3 channels): it was trained on other data (\(c.data.path))")
        }
        // A gray model given data with other classes.
        try trainer(configuration(epochs: 1), root.appendingPathComponent("gray"), stopAfter: 3).run(preprocessing: preprocessing())
        let grayModel = try TrainedModel(contentsOf: root.appendingPathComponent("gray/last.ckpt"), on: TestBackends.primary)
        let four = try InMemoryDataset(images: (0..<4).map { _ in DecodedImage(width: 28, height: 28, channels: 1, fill: 9) }, labels: [0, 1, 2, 3],
                                       classNames: ["a", "b", "c", "d"])
        XCTAssertThrowsError(try grayModel.checkCompatible(with: four, path: "four")) { e in
            XCTAssertEqual("\(e)", "four: has 4 classes but the model was trained on 10 (\(gray.path))")
        }
        XCTAssertNoThrow(try grayModel.checkCompatible(with: idx, path: gray.path))
    }
}
