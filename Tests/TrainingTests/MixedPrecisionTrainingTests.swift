import Backends
import CPUBackend
import Data
import Foundation
import NN
import Support
import Tensors
import Training
import VGG
import TestSupport
import XCTest

/// `--backend reference --precision bf16` (docs/precision.md): the backend is made with that
/// precision, trains a small network (VGG A with batch norm, dropout, adaptive pooling)
/// three SGD steps to a finite loss close to fp32's, keeps float32 master weights, and its
/// checkpoint loads on an fp32 backend. Both CPU backends take bf16; tf32, which neither
/// implements, is refused.
final class MixedPrecisionTrainingTests: XCTestCase {
    func testPrecisionsTheCPUBackendsTake() throws {
        let reference = try BackendKind.reference.make(cpu: CPUBackendConfiguration(), precision: .bf16)
        XCTAssertTrue(reference.settingsSummary.contains("precision bf16"), reference.settingsSummary)
        XCTAssertTrue(try BackendKind.reference.make(cpu: CPUBackendConfiguration()).settingsSummary.contains("precision fp32"))
        let cpu = try BackendKind.cpu.make(cpu: CPUBackendConfiguration(), precision: .bf16)
        XCTAssertTrue(cpu.settingsSummary.contains("precision bf16"), cpu.settingsSummary)
        for (kind, precision) in [(BackendKind.reference, Precision.tf32), (.cpu, .tf32)] {
            XCTAssertThrowsError(try kind.make(cpu: CPUBackendConfiguration(), precision: precision)) { error in
                XCTAssertTrue("\(error)".contains("\(kind.rawValue) --precision \(precision.rawValue)"), "\(error)")
            }
        }
    }

    func testReferenceTrainsInBFloat16() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-bf16-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        var rng = Xoshiro256(seed: 8)
        for (split, n) in [("train", 96), ("t10k", 16)] {
            let pixels = (0..<(n * 784)).map { _ in UInt8(rng.nextInt(below: 256)) }
            try IDXFile.write(dimensions: [n, 28, 28], bytes: pixels, to: data.appendingPathComponent("\(split)-images-idx3-ubyte").path, gzip: false)
            try IDXFile.write(dimensions: [n], bytes: (0..<n).map { UInt8($0 % 10) }, to: data.appendingPathComponent("\(split)-labels-idx1-ubyte").path, gzip: false)
        }
        let model = VGGOptions(configuration: .A, batchNorm: true, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 24, widthDivisor: 16, dropout: 0.5)
        var c = TrainingConfiguration(model: model, data: DatasetSpec(kind: .idx, path: data.path))
        c.batchSize = 32
        c.epochs = 1
        c.seed = 5
        c.learningRate = 0.05
        var p = Preprocessing(mean: [])
        p.pad = 2
        var checkpoints: [Precision: Checkpoint] = [:]
        for precision in [Precision.fp32, .bf16] {
            let backend = try BackendKind.reference.make(cpu: CPUBackendConfiguration(threads: 2), precision: precision)
            let out = root.appendingPathComponent(precision.rawValue)
            try Trainer(configuration: c, outputDirectory: out, backend: backend, log: { _ in }).run(preprocessing: p)
            checkpoints[precision] = try Checkpoint.read(from: out.appendingPathComponent("last.ckpt"))
        }
        let (full, mixed) = (checkpoints[.fp32]!, checkpoints[.bf16]!)
        let (fullLoss, mixedLoss) = (full.header.state.history[0].trainLoss, mixed.header.state.history[0].trainLoss)
        XCTAssertTrue(mixedLoss.isFinite, "bf16 loss \(mixedLoss)")
        XCTAssertEqual(mixedLoss, fullLoss, accuracy: 0.05 * abs(fullLoss), "bf16 loss \(mixedLoss) against fp32 \(fullLoss)")
        XCTAssertNotEqual(mixedLoss, fullLoss, "bf16 trained exactly like fp32")
        // The master weights after three steps are float32 values, not bf16 ones.
        var checkedWeights = 0
        for name in mixed.tensorNames where name.hasSuffix("weight") {
            let values = try mixed.values(name)
            XCTAssertTrue(values.contains { BFloat16.rounded($0) != $0 }, "\(name): every master weight is a bf16 value")
            checkedWeights += 1
        }
        XCTAssertGreaterThan(checkedWeights, 4)
        // The checkpoint loads onto an fp32 backend, values intact.
        let loaded = try TrainedModel(contentsOf: root.appendingPathComponent("bf16/last.ckpt"),
                                      on: try BackendKind.cpu.make(cpu: CPUBackendConfiguration(threads: 2), precision: .fp32))
        XCTAssertFalse(loaded.network.namedParameters.isEmpty)
        for (name, parameter) in loaded.network.namedParameters {
            XCTAssertEqual(parameter.value.toArray(), try mixed.values(name), "\(name) as loaded")
        }
    }
}
