import Foundation
import NN
import Tensors
import Training
import VGG
import TestSupport
import XCTest

/// `last.ckpt` and the good one before it, `previous.ckpt`: which file holds which save, the
/// fallback on `--resume`, and that another run's files never become a fallback.
/// (scripts/test-corrupt-checkpoint.sh and scripts/test-full-disk.sh check the same through `vgg train`.)
final class CheckpointRotationTests: XCTestCase {
    static let tiny = VGGOptions(configuration: .A, batchNorm: true, classes: 3, inputChannels: 3, inputHeight: 32, inputWidth: 32,
                                 classifierWidth: 4, widthDivisor: 512)

    var dir: URL!
    var network: Sequential!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-rotation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        network = try VGGBuilder.build(Self.tiny, on: TestBackends.reference, initializer: .kaiming, seed: 1)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var last: URL { dir.appendingPathComponent("last.ckpt") }
    var previous: URL { dir.appendingPathComponent("previous.ckpt") }

    /// A header whose optimizer step count tells the saves apart.
    func header(step: Int) -> CheckpointHeader {
        let c = TrainingConfiguration(model: Self.tiny, data: DatasetSpec(kind: .idx, path: "/nonexistent"))
        var pre = Preprocessing(mean: [0.5, 0.5, 0.5])
        pre.trainScale = [32]
        var state = TrainingState(scheduler: LearningRateScheduler(.constant, baseLearningRate: 0.01))
        state.optimizerSteps = step
        return CheckpointHeader(configuration: c, preprocessing: pre, classNames: ["a", "b", "c"], state: state)
    }

    func step(_ url: URL) throws -> Int { try Checkpoint.read(from: url).header.state.optimizerSteps }

    /// Overwrites one byte in the middle of `url`.
    func flipByte(_ url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: url)
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") }
    }

    func testEachSaveKeepsTheOneBeforeAsPrevious() throws {
        let rotation = CheckpointRotation(last: last)
        try rotation.save(header(step: 1), network: network, optimizer: nil)
        XCTAssertEqual(try step(last), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: previous.path), "no previous.ckpt before the second save")
        for s in 2...4 {
            try rotation.save(header(step: s), network: network, optimizer: nil)
            XCTAssertEqual(try step(last), s)
            XCTAssertEqual(try step(previous), s - 1)
        }
        XCTAssertEqual(try leftovers(), [], "no temporary file left")
    }

    func testAResumeFallsBackToPreviousWhenLastIsDamagedAndSaysSo() throws {
        let rotation = CheckpointRotation(last: last)
        try rotation.save(header(step: 1), network: network, optimizer: nil)
        try rotation.save(header(step: 2), network: network, optimizer: nil)
        try flipByte(last)
        let resumed = CheckpointRotation(last: last)
        let (ck, line) = try resumed.checkpointToResume()
        XCTAssertEqual(ck.header.state.optimizerSteps, 1)
        XCTAssertTrue(line.contains("resuming from the previous checkpoint"), line)
        XCTAssertTrue(line.contains(last.path) && line.contains(previous.path), line)
        // The next save replaces the damaged last.ckpt and keeps previous.ckpt, the file resumed
        // from, as it is: the bad file is never rotated over the good one.
        try resumed.save(header(step: 2), network: network, optimizer: nil)
        XCTAssertEqual(try step(last), 2)
        XCTAssertEqual(try step(previous), 1)
        try resumed.save(header(step: 3), network: network, optimizer: nil)
        XCTAssertEqual(try step(last), 3)
        XCTAssertEqual(try step(previous), 2)
    }

    func testAResumeUsesLastWhenItReads() throws {
        let rotation = CheckpointRotation(last: last)
        try rotation.save(header(step: 1), network: network, optimizer: nil)
        try rotation.save(header(step: 2), network: network, optimizer: nil)
        let (ck, line) = try CheckpointRotation(last: last).checkpointToResume()
        XCTAssertEqual(ck.header.state.optimizerSteps, 2)
        XCTAssertEqual(line, "resuming from \(last.path): epoch 1, batch 0")
    }

    func testBothDamagedIsOneErrorNamingBoth() throws {
        let rotation = CheckpointRotation(last: last)
        try rotation.save(header(step: 1), network: network, optimizer: nil)
        try rotation.save(header(step: 2), network: network, optimizer: nil)
        try flipByte(last)
        try Data().write(to: previous)
        XCTAssertThrowsError(try CheckpointRotation(last: last).checkpointToResume()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(self.last.path) && message.contains(self.previous.path), message)
            XCTAssertTrue(message.contains("nothing to resume from"), message)
        }
    }

    func testAFreshRunRemovesAnotherRunsPreviousAtItsFirstSave() throws {
        let old = CheckpointRotation(last: last)
        try old.save(header(step: 7), network: network, optimizer: nil)
        try old.save(header(step: 8), network: network, optimizer: nil)
        let fresh = CheckpointRotation(last: last)  // a new run over the same directory, not resumed
        try fresh.save(header(step: 1), network: network, optimizer: nil)
        XCTAssertEqual(try step(last), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: previous.path), "another run's previous.ckpt must not stay as a fallback")
        try fresh.save(header(step: 2), network: network, optimizer: nil)
        XCTAssertEqual(try step(previous), 1)
    }

    func testNothingToResumeIsAnError() throws {
        XCTAssertThrowsError(try CheckpointRotation(last: last).checkpointToResume()) { error in
            XCTAssertTrue("\(error)".contains("nothing to resume"), "\(error)")
        }
    }
}
