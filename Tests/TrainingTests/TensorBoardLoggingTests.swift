import Data
import Foundation
import Support
import TensorBoard
import TestSupport
import Training
import VGG
import XCTest

/// A short training run logged for TensorBoard: the tags and steps of its event file, and a
/// resumed run that continues in a new file without logging a step twice.
final class TensorBoardLoggingTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-tensorboard-\(UUID().uuidString)")
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        // Four classes of 28×28 images: a bright square in one of four quadrants, plus noise.
        var rng = Xoshiro256(seed: 7)
        for (split, n) in [("train", 96), ("t10k", 32)] {
            var pixels: [UInt8] = [], labels: [UInt8] = []
            for i in 0..<n {
                let label = i % 4
                var img = (0..<784).map { _ in UInt8(rng.nextUnit() * 60) }
                let (oy, ox) = (label / 2 * 14 + 2, label % 2 * 14 + 2)
                for y in oy..<(oy + 10) { for x in ox..<(ox + 10) { img[y * 28 + x] = 220 } }
                pixels += img
                labels.append(UInt8(label))
            }
            try IDXFile.write(dimensions: [n, 28, 28], bytes: pixels, to: data.appendingPathComponent("\(split)-images-idx3-ubyte").path, gzip: false)
            try IDXFile.write(dimensions: [n], bytes: labels, to: data.appendingPathComponent("\(split)-labels-idx1-ubyte").path, gzip: false)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    private func configuration(epochs: Int) -> TrainingConfiguration {
        let model = VGGOptions(configuration: .A, batchNorm: true, classes: 4, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 16, widthDivisor: 16, dropout: 0)
        var c = TrainingConfiguration(model: model, data: DatasetSpec(kind: .idx, path: root.appendingPathComponent("data").path))
        c.epochs = epochs
        c.batchSize = 32
        c.learningRate = 0.02
        c.schedule = .constant
        c.seed = 5
        c.checkpointEvery = 1
        c.workers = 1
        return c
    }

    private func preprocessing() -> Preprocessing {
        var p = Preprocessing(mean: [])
        p.pad = 2
        return p
    }

    /// Stops the run after a number of batches, as a killed process would (or raises a signal
    /// after a number of batches, which stops it after the next one); placed after the logger.
    final class StopOrSignal: TrainingObserver {
        let stopAfter: Int?
        let signalAfter: Int?
        private var seen = 0
        init(stopAfter: Int?, signalAfter: Int? = nil) { self.stopAfter = stopAfter; self.signalAfter = signalAfter }
        func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
            seen += 1
            if seen == signalAfter { raise(SIGTERM) }
            return stopAfter.map { seen >= $0 } == true ? .stop : .proceed
        }
    }

    private func train(_ out: URL, epochs: Int, resume: Bool = false, stopAfter: Int? = nil, signalAfter: Int? = nil,
                       histograms: Bool = false) throws -> [EpochMetrics] {
        let t = Trainer(configuration: configuration(epochs: epochs), outputDirectory: out, backend: TestBackends.primary, log: { _ in })
        t.observers += [TensorBoardLogger(directory: out, histograms: histograms, warn: { XCTFail($0) }),
                        StopOrSignal(stopAfter: stopAfter, signalAfter: signalAfter)]
        t.stopToken = .signals
        return try t.run(resume: resume, preprocessing: preprocessing())
    }

    func testARunLogsEveryStepAndValidationAndItsPictures() throws {
        let out = root.appendingPathComponent("run")
        let history = try train(out, epochs: 2, histograms: true)
        let files = EventFileName.files(in: out)
        XCTAssertEqual(files.count, 1)
        let f = try EventFile(contentsOf: files[0])
        XCTAssertEqual(f.fileVersion, "brain.Event:2")
        for tag in ["train/loss", "train/accuracy", "train/learning_rate", "train/images_per_second"] {
            XCTAssertEqual(f.scalars(tag).map(\.step), Array(1...6), tag)  // 96 images, batch 32: 3 steps an epoch
        }
        XCTAssertEqual(f.scalars("validation/top1").map(\.step), [3, 6])
        XCTAssertEqual(f.scalars("validation/top1").map(\.value), history.map { Double(Float($0.validationTop1)) })
        XCTAssertEqual(f.scalars("validation/loss").map(\.value), history.map { Double(Float($0.validationLoss)) })
        XCTAssertEqual(f.scalars("validation/top5").map(\.value), history.map { Double(Float($0.validationTop5)) })
        // The running loss at an epoch's last step is the epoch's training loss of metrics.csv.
        XCTAssertEqual([3, 6].map { s in f.scalars("train/loss").first { $0.step == s }!.value },
                       history.map { Double(Float($0.trainLoss)) })
        XCTAssertEqual(f.scalars("train/learning_rate").map(\.value), Array(repeating: Double(Float(0.02)), count: 6))
        XCTAssertEqual(f.texts("configuration").map(\.step), [0])
        XCTAssertTrue(f.texts("configuration").first?.value.contains("\"batchSize\" : 32") == true)
        XCTAssertEqual(f.histograms("weights/features.0.weight").map(\.step), [3, 6])
        XCTAssertEqual(f.histograms("weights/features.0.weight").first?.value.num, 4 * 1 * 3 * 3)
        for (tag, file) in TensorBoardLogger.pictures {
            let images = f.images(tag)
            XCTAssertEqual(images.map(\.step), [6], tag)
            XCTAssertEqual(images.first?.value.encodedImageString, try Data(contentsOf: out.appendingPathComponent(file)), tag)
        }
    }

    func testAResumedRunContinuesInANewFileWithoutDuplicatingSteps() throws {
        let out = root.appendingPathComponent("run")
        // Stopped after step 4 (the checkpoint of every batch), then resumed to the end of epoch 3.
        XCTAssertEqual(try train(out, epochs: 3, stopAfter: 4).count, 1)
        let history = try train(out, epochs: 3, resume: true)
        let all = try EventDirectory(contentsOf: out)
        XCTAssertEqual(all.files.count, 2)
        func steps(_ tag: String) -> [Int64] {
            all.events.filter { $0.summary.value.contains { $0.tag == tag } }.map(\.step)
        }
        XCTAssertEqual(steps("train/loss"), Array(1...9))
        XCTAssertEqual(steps("validation/top1"), [3, 6, 9])
        XCTAssertEqual(steps("configuration"), [0, 4])
        let first = try EventFile(contentsOf: all.files[0]), second = try EventFile(contentsOf: all.files[1])
        XCTAssertEqual(first.scalars("train/loss").map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(second.scalars("train/loss").map(\.step), [5, 6, 7, 8, 9])
        XCTAssertEqual(history.count, 3)
    }

    func testASecondResumeAfterAKillSkipsStepsLoggedPastTheCheckpoint() throws {
        let out = root.appendingPathComponent("run")
        XCTAssertEqual(try train(out, epochs: 2, stopAfter: 2).count, 0)
        // A process killed after logging steps the checkpoint does not hold: logged, not saved.
        let extra = try EventFileWriter(directory: out, skipping: try EventDirectory(contentsOf: out).lastSteps)
        try extra.addScalar("train/loss", 99, step: 3)
        _ = try train(out, epochs: 2, resume: true)
        let all = try EventDirectory(contentsOf: out)
        let loss = all.events.filter { $0.summary.value.contains { $0.tag == "train/loss" } }
        XCTAssertEqual(loss.map(\.step), [1, 2, 3, 4, 5, 6])
    }

    /// A signal stops the run after the batch it lands in, with a checkpoint at that batch: the
    /// batch's scalars are logged before that checkpoint is written, so the resumed run, which
    /// continues after it, misses no step (found by scripts/chaos.sh: the stopping batch's
    /// scalars were never logged).
    func testASignalledRunLogsTheBatchOfItsCheckpointBeforeStopping() throws {
        StopSignals.install(notice: "")
        defer { StopSignals.uninstall() }
        StopSignals.reset()
        let out = root.appendingPathComponent("run")
        // SIGTERM after step 2, noticed during step 3: the checkpoint of step 3, then the stop.
        XCTAssertThrowsError(try train(out, epochs: 2, signalAfter: 2)) { e in
            guard case TrainingError.interrupted = e else { return XCTFail("\(e)") }
        }
        StopSignals.reset()
        XCTAssertEqual(try Checkpoint.read(from: out.appendingPathComponent("last.ckpt")).header.state.optimizerSteps, 3)
        _ = try train(out, epochs: 2, resume: true)
        let all = try EventDirectory(contentsOf: out)
        let loss = all.events.filter { $0.summary.value.contains { $0.tag == "train/loss" } }
        XCTAssertEqual(loss.map(\.step), [1, 2, 3, 4, 5, 6])
    }
}
