import Foundation
import NN
import Tensors
import Training
import VGG
import TestSupport
import XCTest
import SafeTensorsFormat

/// Checkpoints of the first format (written before the safetensors container, see
/// Fixtures/README.md) still load: every tensor equal to what that build exported, the same
/// logits for the same input, and training resumes from them.
final class LegacyCheckpointTests: XCTestCase {
    func fixture(_ name: String, _ ext: String = "safetensors") throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
    }

    func testFormat1CheckpointLoadsWithTheSameWeightsAndLogits() throws {
        let url = try fixture("format1_vgg_a_bn", "ckpt")
        let checkpoint = try Checkpoint.read(from: url)
        XCTAssertEqual(checkpoint.header.state.epoch, 2)
        XCTAssertEqual(checkpoint.header.state.optimizerSteps, 16)
        XCTAssertEqual(checkpoint.header.state.history.count, 2)
        XCTAssertEqual(checkpoint.header.configuration.model.widthDivisor, 16)
        let model = try TrainedModel(contentsOf: url, on: TestBackends.primary)
        let exported = try SafeTensors.read(contentsOf: try fixture("format1_vgg_a_bn_export")).tensors
        for (name, p) in model.network.namedParameters + model.network.namedBuffers {
            XCTAssertEqual(p.value.toArray(), try XCTUnwrap(exported[name]).values, name)
        }
        XCTAssertEqual(model.network.batchNormLayers.map(\.batchesTracked), [Int](repeating: 16, count: 8))
        XCTAssertEqual(TorchvisionStateDict.entries(of: model.network).first { $0.name == "features.1.num_batches_tracked" }?.tensor.values, [16])
        let x = try XCTUnwrap(try SafeTensors.read(contentsOf: try fixture("format1_input")).tensors["input"])
        let expected = try XCTUnwrap(try SafeTensors.read(contentsOf: try fixture("format1_logits")).tensors["logits"])
        for backend in TestBackends.all {
            let m = try TrainedModel(contentsOf: url, on: backend)
            let logits = try m.network.forward(Tensor(x.values, shape: x.shape, on: backend), .inference).toArray()
            let scale = expected.values.map(abs).max()!
            for (a, b) in zip(logits, expected.values) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(scale, 1), backend.name) }
        }
    }

    func testTrainingResumesFromAFormat1Checkpoint() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-legacy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try fixture("format1_vgg_a_bn", "ckpt"), to: dir.appendingPathComponent("last.ckpt"))
        let old = try Checkpoint.read(from: dir.appendingPathComponent("last.ckpt"))
        // The fixture was trained on Fashion-MNIST (Debian's dataset-fashion-mnist).
        guard FileManager.default.fileExists(atPath: old.header.configuration.data.path) else {
            throw XCTSkip("\(old.header.configuration.data.path) is not installed (scripts/setup.sh installs it)")
        }
        var c = old.header.configuration
        c.epochs = 3
        let history = try Trainer(configuration: c, outputDirectory: dir, backend: TestBackends.primary, log: { _ in }).run(resume: true)
        XCTAssertEqual(history.count, 3)
        XCTAssertEqual(Array(history.prefix(2)), old.header.state.history, "the old epochs are kept")
        let resumed = try Checkpoint.read(from: dir.appendingPathComponent("last.ckpt"))
        XCTAssertEqual(resumed.header.formatVersion, 2, "saved in the new format")
        XCTAssertEqual(resumed.header.state.optimizerSteps, 24)
    }
}
