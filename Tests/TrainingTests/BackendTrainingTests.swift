import Data
import Foundation
import NN
import Support
import Tensors
import Training
import VGG
import TestSupport
import XCTest

/// The same training run on the cpu and the reference backend: the same data, the same
/// initial weights and the same dropout masks (keyed by step and sample), so the weights
/// after a few steps agree to float rounding.
final class BackendTrainingTests: XCTestCase {
    func testCPUAndReferenceTrainTheSameNetwork() throws {
        guard TestBackends.all.count == 2 else { throw XCTSkip("only one backend under test") }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-backends-\(UUID().uuidString)")
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
        var results: [Checkpoint] = []
        for backend in TestBackends.all {
            let out = root.appendingPathComponent(backend.name)
            try Trainer(configuration: c, outputDirectory: out, backend: backend, log: { _ in }).run(preprocessing: p)
            results.append(try Checkpoint.read(from: out.appendingPathComponent("last.ckpt")))
        }
        let (a, b) = (results[0], results[1])
        XCTAssertEqual(a.header.state.history.count, 1)
        XCTAssertEqual(a.header.state.history[0].trainLoss, b.header.state.history[0].trainLoss, accuracy: 1e-4)
        for name in a.tensorNames where !name.hasSuffix("num_batches_tracked") {
            let u = try a.values(name), v = try b.values(name)
            let scale = max(u.map(abs).max() ?? 0, 1e-3)
            let worst = zip(u, v).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst / scale, 1e-3, "\(name): cpu and reference differ by \(worst) (scale \(scale)) after 3 steps")
        }
    }
}
