import CPUBackend
import Foundation
import NN
import Tensors
import VGG
import TestSupport
import XCTest
import SafeTensorsFormat

/// A width-reduced VGG-A (and -A-BN) against PyTorch/torchvision, on every backend: logits,
/// loss, every parameter gradient, and the weights after three SGD steps (momentum 0.9,
/// weight decay 5e-4). Fixtures come from tools/make_fixtures.py.
final class VGGGoldenTests: XCTestCase {
    func fixture(_ name: String) throws -> [String: SafeTensor] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors.read(contentsOf: url).tensors
    }

    func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(b.map { abs($0) }.max() ?? 0, 1e-3)
        var worst: Float = 0
        for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
        XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(what): max abs diff \(worst), scale \(scale)", file: file, line: line)
    }

    func run(_ name: String, batchNorm: Bool, on backend: any Backend) throws {
        let f = try fixture(name)
        let o = VGGOptions(configuration: .A, batchNorm: batchNorm, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                           classifierWidth: 64, widthDivisor: 16, dropout: 0)
        let net = try VGGBuilder.build(o, on: backend, initializer: nil)
        for (pname, p) in net.namedParameters {
            let v = try XCTUnwrap(f["init." + pname], "fixture lacks init.\(pname)")
            XCTAssertEqual(v.shape, p.shape, pname)
            p.value.copy(from: v.values)
        }
        let x = try XCTUnwrap(f["x"])
        let labels = try XCTUnwrap(f["labels"]).values.map { Int32($0) }
        let input = Tensor(x.values, shape: x.shape, on: backend)
        let loss = SoftmaxCrossEntropy(on: backend)
        let sgd = SGD(store: net.store, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
        var losses: [Float] = []
        let on = " on \(backend.name)"
        for step in 0..<3 {
            let logits = try net.forward(input, .training(step: step))
            let l = loss.forward(logits: logits, labels: labels).loss
            losses.append(l)
            if step == 0 {
                assertClose(logits.toArray(), try XCTUnwrap(f["logits"]).values, "logits" + on)
                XCTAssertEqual(l, try XCTUnwrap(f["loss"]).values[0], accuracy: 1e-5, "loss" + on)
            }
            net.backward(loss.backward())
            if step == 0 {
                for (pname, p) in net.namedParameters {
                    assertClose(p.gradient.toArray(), try XCTUnwrap(f["grad." + pname]).values, tolerance: 2e-4, "grad.\(pname)" + on)
                }
            }
            sgd.step()
        }
        assertClose(losses, try XCTUnwrap(f["losses"]).values, "losses per step" + on)
        // With the cpu backend's default algorithm and oneDNN's kernels the 16→16 (8×8) and
        // 16→32, 32→32 (4×4) convolutions are Winograd, the others direct; with the native
        // kernels the 32→32 ones (4×4 F(4×4,3×3), 2×2 F(2×2,3×3)). Both kinds are checked end to end here.
        if let cpu = backend as? CPUBackend, cpu.configuration.convolutionAlgorithm == .automatic, cpu.configuration.winograd.isAvailable {
            let planned = net.layers.compactMap { ($0.layer as? Conv2d)?.plannedOp?.usesWinograd }
            let expected = cpu.configuration.winograd == .native
                ? [false, false, false, false, false, true, true, true]
                : [false, false, false, true, true, true, false, false]
            XCTAssertEqual(planned, expected)
        }
        for (pname, p) in net.namedParameters {
            assertClose(p.value.toArray(), try XCTUnwrap(f["step3." + pname]).values, tolerance: 2e-4, "step3.\(pname)" + on)
        }
    }

    func testTinyVGGAMatchesPyTorch() throws {
        for backend in TestBackends.all { try run("vgg_a_tiny", batchNorm: false, on: backend) }
    }

    func testTinyVGGABatchNormMatchesPyTorch() throws {
        for backend in TestBackends.all { try run("vgg_a_tiny_bn", batchNorm: true, on: backend) }
    }
}
