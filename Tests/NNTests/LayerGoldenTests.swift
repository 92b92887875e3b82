import Foundation
import NN
import Tensors
import TestSupport
import XCTest
import SafeTensorsFormat

/// Each layer against PyTorch (fixtures from tools/make_fixtures.py), on every backend:
/// forward output, input gradient and parameter gradients for a given upstream gradient.
final class LayerGoldenTests: XCTestCase {
    func fixture(_ name: String) throws -> [String: SafeTensor] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors.read(contentsOf: url).tensors
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(b.map { abs($0) }.max() ?? 0, 1e-3)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(what): max abs diff \(worst) (scale \(scale))", file: file, line: line)
    }

    /// Places a layer made by `make` on each backend, sets its parameters from the fixture
    /// (and `setup` the rest), feeds fixture `x` (NCHW), back-propagates `dy`, and compares
    /// with `y`, `dx` and, for each parameter P, `dP`.
    func check(_ make: () -> Layer, _ name: String, mode: Mode = .training, parameterKeys: [String] = [], backward: Bool = true,
               setup: (Layer, [String: SafeTensor]) -> Void = { _, _ in }, after: (Layer, [String: SafeTensor], String) -> Void = { _, _, _ in },
               file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try fixture(name)
        for backend in TestBackends.all {
            let layer = make()
            let what = "\(name) on \(backend.name)"
            let x = try XCTUnwrap(f["x"])
            try layer.prepare(inputShape: x.shape, propagateDown: true, on: backend)
            for (p, key) in zip(layer.parameters, parameterKeys) { p.value.copy(from: try XCTUnwrap(f[key]).values) }
            setup(layer, f)
            let input = x.shape.count == 4
                ? Tensor(HostLayout.nhwc(fromNCHW: x.values, shape: x.shape), shape: x.shape, layout: .nhwc, on: backend)
                : Tensor(x.values, shape: x.shape, on: backend)
            let y = layer.forward(input, PassContext(mode: mode))
            assertClose(y.nchwArray(), try XCTUnwrap(f["y"]).values, "\(what) y", file: file, line: line)
            after(layer, f, what)
            guard backward, let dyv = f["dy"] else { continue }
            let dy = dyv.shape.count == 4 && y.layout == .nhwc
                ? Tensor(HostLayout.nhwc(fromNCHW: dyv.values, shape: dyv.shape), shape: dyv.shape, layout: .nhwc, on: backend)
                : Tensor(dyv.values, shape: dyv.shape, layout: y.layout, on: backend)
            let dx = try XCTUnwrap(layer.backward(dy))
            assertClose(dx.nchwArray(), try XCTUnwrap(f["dx"]).values, "\(what) dx", file: file, line: line)
            for (p, key) in zip(layer.parameters, parameterKeys) {
                assertClose(p.gradient.toArray(), try XCTUnwrap(f["d" + key]).values, "\(what) d\(key)", file: file, line: line)
            }
        }
    }

    func testConvolutions() throws {
        try check({ Conv2d(3, 8, kernelSize: 3, padding: 1) }, "conv3x3", parameterKeys: ["weight", "bias"])
        try check({ Conv2d(5, 4, kernelSize: 1) }, "conv1x1", parameterKeys: ["weight", "bias"])
        try check({ Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1) }, "conv_stride2", parameterKeys: ["weight", "bias"])
        // 16→32 channels: Winograd on the cpu backend where its configuration chooses it
        // (every CPU algorithm is checked against this fixture in CPUBackendTests).
        try check({ Conv2d(16, 32, kernelSize: 3, padding: 1) }, "conv3x3_wide", parameterKeys: ["weight", "bias"])
    }

    func testPoolingReLUAndAdaptivePool() throws {
        try check({ MaxPool2d() }, "maxpool")
        try check({ ReLU() }, "relu")
        try check({ AdaptiveAvgPool2d(outHeight: 2, outWidth: 3) }, "adaptive_avgpool")
    }

    func testLocalResponseNorm() throws {
        try check({ LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2) }, "lrn")
        try check({ LocalResponseNorm(size: 3, alpha: 1.0, beta: 0.75, k: 2) }, "lrn_strong")
    }

    func testLinearAndDropoutEval() throws {
        try check({ Linear(6, 5) }, "linear", parameterKeys: ["weight", "bias"])
        try check({ Dropout(probability: 0.5) }, "dropout_eval", mode: .inference)
    }

    func testBatchNormTrainingAndRunningStatistics() throws {
        try check({ BatchNorm2d(4) }, "batchnorm_train", parameterKeys: ["weight", "bias"], setup: { layer, f in
            let bn = layer as! BatchNorm2d
            bn.runningMean.value.copy(from: f["running_mean_before"]!.values)
            bn.runningVariance.value.copy(from: f["running_var_before"]!.values)
        }, after: { layer, f, what in
            let bn = layer as! BatchNorm2d
            self.assertClose(bn.runningMean.value.toArray(), f["running_mean_after"]!.values, "\(what) running_mean")
            self.assertClose(bn.runningVariance.value.toArray(), f["running_var_after"]!.values, "\(what) running_var")
        })
    }

    func testBatchNormInference() throws {
        // Forward only: the backward pass is that of training (batch statistics).
        try check({ BatchNorm2d(4) }, "batchnorm_eval", mode: .inference, parameterKeys: ["weight", "bias"], backward: false, setup: { layer, f in
            let bn = layer as! BatchNorm2d
            bn.runningMean.value.copy(from: f["running_mean"]!.values)
            bn.runningVariance.value.copy(from: f["running_var"]!.values)
        })
    }

    /// Plain, and with label smoothing 0.1 (`F.cross_entropy(label_smoothing=0.1)`).
    func testCrossEntropy() throws {
        for backend in TestBackends.all {
            for (name, smoothing) in [("cross_entropy", Float(0)), ("cross_entropy_smoothed", 0.1)] {
                let f = try fixture(name)
                let ce = SoftmaxCrossEntropy(labelSmoothing: smoothing, on: backend)
                let logits = f["logits"]!
                let r = ce.forward(logits: Tensor(logits.values, shape: logits.shape, on: backend), labels: f["labels"]!.values.map { Int32($0) })
                XCTAssertEqual(r.loss, f["loss"]!.values[0], accuracy: 1e-5, "\(name) on \(backend.name)")
                assertClose(ce.backward().toArray(), f["dlogits"]!.values, "\(name) dlogits on \(backend.name)")
            }
        }
    }

    func testSGDMatchesTorchOptim() throws {
        let f = try fixture("sgd")
        for backend in TestBackends.all {
            for (prefix, nesterov, dampening) in [("p", false, Float(0)), ("n", true, 0), ("d", false, 0.1)] {
                let p = Parameter("w", shape: [3, 4])
                let store = ParameterStore([p], on: backend)
                p.value.copy(from: f["p0"]!.values)
                let sgd = SGD(store: store, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, dampening: dampening, nesterov: nesterov)
                for k in 1...3 {
                    p.gradient.copy(from: f["g\(k)"]!.values)
                    sgd.step()
                    assertClose(p.value.toArray(), f["\(prefix)\(k)"]!.values, "\(prefix)\(k) on \(backend.name)", tolerance: 1e-6)
                }
            }
        }
    }
}
