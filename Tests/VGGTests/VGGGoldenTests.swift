import Foundation
import Kernels
import NN
import VGG
import XCTest

/// A width-reduced VGG-A (and -A-BN) against PyTorch/torchvision: logits, loss, every
/// parameter gradient, and the weights after three SGD steps (momentum 0.9, weight decay
/// 5e-4). Fixtures come from tools/make_fixtures.py.
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

    func run(_ name: String, batchNorm: Bool) throws {
        let f = try fixture(name)
        let o = VGGOptions(configuration: .A, batchNorm: batchNorm, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                           classifierWidth: 64, widthDivisor: 16, dropout: 0)
        let net = try VGGBuilder.build(o, initializer: nil)
        let store = net.materializeParameters()
        for (pname, p) in net.namedParameters {
            let v = try XCTUnwrap(f["init." + pname], "fixture lacks init.\(pname)")
            XCTAssertEqual(v.shape, p.shape, pname)
            p.value.copy(from: Tensor(v.values, shape: v.shape))
        }
        let x = try XCTUnwrap(f["x"])
        let labels = try XCTUnwrap(f["labels"]).values.map { Int32($0) }
        let input = Tensor(x.values, shape: x.shape)
        let loss = SoftmaxCrossEntropy()
        let sgd = SGD(store: store, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
        var losses: [Float] = []
        for step in 0..<3 {
            let logits = try net.forward(input, mode: .training)
            let l = loss.forward(logits: logits, labels: labels)
            losses.append(l)
            if step == 0 {
                assertClose(logits.array, try XCTUnwrap(f["logits"]).values, "logits")
                XCTAssertEqual(l, try XCTUnwrap(f["loss"]).values[0], accuracy: 1e-5)
            }
            net.backward(loss.backward())
            if step == 0 {
                for (pname, p) in net.namedParameters {
                    assertClose(p.gradient.array, try XCTUnwrap(f["grad." + pname]).values, tolerance: 2e-4, "grad.\(pname)")
                }
            }
            sgd.step()
        }
        assertClose(losses, try XCTUnwrap(f["losses"]).values, "losses per step")
        // With the default algorithm and oneDNN's kernels the 16→16 (8×8) and 16→32, 32→32
        // (4×4) convolutions are Winograd, the others direct; with the native kernels the
        // 32→32 ones (4×4 F(4×4,3×3), 2×2 F(2×2,3×3)). Both kinds are checked end to end here.
        let winograd = WinogradImplementation.processDefault
        if ConvolutionAlgorithm.processDefault == .automatic && winograd.isAvailable {
            let planned = net.layers.compactMap { ($0.layer as? Conv2d)?.plannedAlgorithm }
            let expected: [ConvolutionAlgorithm] = winograd == .native
                ? [.direct, .direct, .direct, .direct, .direct, .winograd, .winograd, .winograd]
                : [.direct, .direct, .direct, .winograd, .winograd, .winograd, .direct, .direct]
            XCTAssertEqual(planned, expected)
        }
        for (pname, p) in net.namedParameters {
            assertClose(p.value.array, try XCTUnwrap(f["step3." + pname]).values, tolerance: 2e-4, "step3.\(pname)")
        }
    }

    func testTinyVGGAMatchesPyTorch() throws { try run("vgg_a_tiny", batchNorm: false) }
    func testTinyVGGABatchNormMatchesPyTorch() throws { try run("vgg_a_tiny_bn", batchNorm: true) }
}
