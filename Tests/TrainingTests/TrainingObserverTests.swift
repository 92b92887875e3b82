import Foundation
import Data
import NN
import Support
import Tensors
import Training
import TestSupport
import XCTest

/// A program's own observers, added to a `Trainer` without changing it: what they are told and
/// when; a `StopToken` a program sets; failures that reach the caller as thrown errors.
extension TrainingTests {
    /// Records every call it receives, and what `metrics.csv` holds when a validation is told.
    final class Recorder: TrainingObserver {
        var calls: [String] = []
        var csvRowsAtValidation: [Int] = []
        var learningRates: [Float] = []
        let metricsFile: URL
        init(metricsFile: URL) { self.metricsFile = metricsFile }

        func trainerStarted(_ start: TrainingStart) {
            calls.append("started step \(start.state.optimizerSteps), \(start.batchesPerEpoch) batches/epoch, \(start.trainingImages) images")
        }
        func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
            calls.append("batch \(epoch).\(batch) step \(state.optimizerSteps)")
            learningRates.append(state.learningRate)
            return .proceed
        }
        func trainerFinishedEpoch(_ metrics: EpochMetrics) { calls.append("epoch \(metrics.epoch)") }
        func trainerValidated(_ v: TrainingValidation) throws {
            calls.append("validated \(v.metrics.epoch) step \(v.state.optimizerSteps) last \(v.isLast)")
            let csv = try String(contentsOf: metricsFile, encoding: .utf8)
            csvRowsAtValidation.append(csv.split(separator: "\n").count - 1)
        }
    }

    func testAProgramsObserverIsToldOfTheStartEveryBatchAndEveryValidationInOrder() throws {
        var c = configuration(epochs: 2)
        c.limitTrain = 256  // 8 batches of 32 per epoch
        c.schedule = .step(every: 1, gamma: 0.5)
        let out = root.appendingPathComponent("observed")
        let t = trainer(c, out)
        let recorder = Recorder(metricsFile: out.appendingPathComponent("metrics.csv"))
        t.observers.append(recorder)
        let history = try t.run(preprocessing: preprocessing())

        var expected = ["started step 0, 8 batches/epoch, 256 images"]
        for e in 0..<2 {
            expected += (1...8).map { "batch \(e).\($0) step \(8 * e + $0)" }
            expected += ["epoch \(e + 1)", "validated \(e + 1) step \(8 * e + 8) last \(e == 1)"]
        }
        XCTAssertEqual(recorder.calls, expected)
        // The standard observers come first: metrics.csv holds the epoch's row when it is told.
        XCTAssertEqual(recorder.csvRowsAtValidation, [1, 2])
        // The learning rate of every step is the state's, which the schedule halves per epoch.
        XCTAssertEqual(recorder.learningRates, [Float](repeating: 0.02, count: 8) + [Float](repeating: 0.01, count: 8))
        XCTAssertEqual(history.map(\.learningRate), [0.02, 0.01])
        let state = try Checkpoint.read(from: out.appendingPathComponent("last.ckpt")).header.state
        XCTAssertEqual(state.optimizerSteps, 16)
        XCTAssertEqual(state.learningRate, 0.005)
        XCTAssertEqual(state.learningRate, state.scheduler.learningRate)
    }

    /// The observer of docs/library.md, as written there.
    final class Top1Log: TrainingObserver {
        var top1: [Double] = []
        func trainerValidated(_ validation: TrainingValidation) {
            top1.append(validation.metrics.validationTop1)
        }
    }

    func testTheObserverOfTheLibraryDocumentationKeepsEveryEpochsTop1() throws {
        var c = configuration(epochs: 2)
        c.limitTrain = 128
        let trainer = trainer(c, root.appendingPathComponent("top1"))
        let preprocessing = preprocessing()
        let top1 = Top1Log()
        trainer.observers.append(top1)  // after the progress line, metrics.csv and the pictures
        let history = try trainer.run(preprocessing: preprocessing)
        XCTAssertEqual(top1.top1, history.map(\.validationTop1))
        XCTAssertEqual(top1.top1.count, 2)
    }

    /// Stops the run through the trainer's token after a number of batches.
    final class RequestStop: TrainingObserver {
        let token: StopToken, after: Int
        init(_ token: StopToken, after: Int) { self.token = token; self.after = after }
        func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
            if state.optimizerSteps == after { token.request(signal: SIGTERM) }
            return .proceed
        }
    }

    func testAStopRequestedThroughTheTokenEndsTheRunAfterTheNextBatchWithACheckpoint() throws {
        var c = configuration(epochs: 1)
        c.checkpointEvery = 0
        c.limitTrain = 256
        let out = root.appendingPathComponent("stopped")
        let t = trainer(c, out)
        t.observers.append(RequestStop(t.stopToken, after: 3))
        XCTAssertThrowsError(try t.run(preprocessing: preprocessing())) { e in
            guard case let TrainingError.interrupted(signal, at, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(signal, SIGTERM)
            XCTAssertEqual(at, "epoch 1, batch 4")
        }
        XCTAssertEqual(try Checkpoint.read(from: out.appendingPathComponent("last.ckpt")).header.state.optimizerSteps, 4)
    }

    struct ObserverFailure: Error, Equatable {}

    /// Fails at the first validation.
    final class FailingObserver: TrainingObserver {
        func trainerValidated(_ validation: TrainingValidation) throws { throw ObserverFailure() }
    }

    func testAnObserversErrorEndsTheRunBeforeTheEpochsCheckpoint() throws {
        var c = configuration(epochs: 1)
        c.checkpointEvery = 0
        c.limitTrain = 64
        let out = root.appendingPathComponent("failing")
        let t = trainer(c, out)
        t.observers.append(FailingObserver())
        XCTAssertThrowsError(try t.run(preprocessing: preprocessing())) { e in XCTAssertEqual(e as? ObserverFailure, ObserverFailure()) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("last.ckpt").path))
    }

    /// Two processes in name, whose BatchNorm exchange fails.
    final class FailingBatchNormCommunicator: Communicator {
        struct Failure: Error, Equatable { let label: String }
        var rank: Int { 0 }
        var size: Int { 2 }
        final class Done: CommunicationRequest { func wait() throws {} }
        func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest { Done() }
        func allReduceSum(_ values: [Double], label: String) throws -> [Double] {
            if label.contains("BatchNorm") { throw Failure(label: label) }
            return values
        }
        func allGather(_ value: UInt64, label: String) throws -> [UInt64] { [value, value] }
        func barrier(label: String) throws {}
        func finish() {}
        func abort(reason: String) {}
    }

    func testAFailedSynchronisedBatchNormExchangeIsThrownByTheStep() throws {
        var c = configuration(epochs: 1)
        c.syncBatchNorm = true
        let model = try TrainingModel(c, sampleShape: [1, 32, 32], on: TestBackends.primary, communicator: FailingBatchNormCommunicator())
        let before = model.network.store.values.toArray()
        let n = c.batchSize / 2
        let batch = Batch(images: [Float](repeating: 0.5, count: n * 32 * 32), shape: [n, 1, 32, 32],
                          labels: (0..<n).map { Int32($0 % 4) }, globalCount: c.batchSize)
        XCTAssertThrowsError(try model.step(batch, index: 0, learningRate: 0.02)) { e in
            XCTAssertEqual(e as? FailingBatchNormCommunicator.Failure, .init(label: "synchronised BatchNorm statistics"))
        }
        XCTAssertEqual(model.network.store.values.toArray(), before, "no update after the failure")
    }
}
