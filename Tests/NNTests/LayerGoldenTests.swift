import Foundation
import Kernels
import NN
import XCTest

/// Each layer against PyTorch (fixtures from tools/make_fixtures.py): forward output,
/// input gradient and parameter gradients for a given upstream gradient.
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

    /// Feeds fixture `x` (NCHW) through the layer, back-propagates `dy`, compares with `y`, `dx`
    /// and, for each parameter P, `dP`.
    func check(_ layer: Layer, _ name: String, mode: Mode = .training, parameterKeys: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try fixture(name)
        for (p, key) in zip(layer.parameters, parameterKeys) {
            let v = try XCTUnwrap(f[key]); p.value.copy(from: Tensor(v.values, shape: v.shape))
        }
        let x = try XCTUnwrap(f["x"])
        try layer.prepare(inputShape: x.shape, propagateDown: true)
        let input: Tensor
        if x.shape.count == 4 {
            input = Tensor(shape: x.shape, layout: .nhwc)
            x.values.withUnsafeBufferPointer { Tensor.permute(nchw: $0.baseAddress!, toNHWC: input.data, shape: x.shape) }
        } else {
            input = Tensor(x.values, shape: x.shape)
        }
        let y = layer.forward(input, mode: mode)
        assertClose(y.nchwArray(), try XCTUnwrap(f["y"]).values, "\(name) y", file: file, line: line)
        guard let dyv = f["dy"] else { return }
        let dy = Tensor(shape: dyv.shape, layout: y.layout)
        if dyv.shape.count == 4 && y.layout == .nhwc {
            dyv.values.withUnsafeBufferPointer { Tensor.permute(nchw: $0.baseAddress!, toNHWC: dy.data, shape: dyv.shape) }
        } else {
            dy.copy(from: Tensor(dyv.values, shape: dyv.shape))
        }
        let dx = try XCTUnwrap(layer.backward(dy))
        assertClose(dx.nchwArray(), try XCTUnwrap(f["dx"]).values, "\(name) dx", file: file, line: line)
        for (p, key) in zip(layer.parameters, parameterKeys) {
            assertClose(p.gradient.array, try XCTUnwrap(f["d" + key]).values, "\(name) d\(key)", file: file, line: line)
        }
    }

    func testConvolutions() throws {
        try check(Conv2d(3, 8, kernelSize: 3, padding: 1), "conv3x3", parameterKeys: ["weight", "bias"])
        try check(Conv2d(5, 4, kernelSize: 1), "conv1x1", parameterKeys: ["weight", "bias"])
        try check(Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1), "conv_stride2", parameterKeys: ["weight", "bias"])
    }

    /// The same PyTorch reference through both algorithms and both Winograd
    /// implementations; a Winograd layer must really be Winograd (oneDNN's `jit_wino`
    /// kernels or the native ones), not a silent fallback.
    func testConvolutionAlgorithms() throws {
        for implementation in WinogradImplementation.allCases {
            for algorithm in [ConvolutionAlgorithm.direct, .winograd, .automatic] {
                let conv = Conv2d(16, 32, kernelSize: 3, padding: 1, algorithm: algorithm, winograd: implementation)
                try check(conv, "conv3x3_wide", parameterKeys: ["weight", "bias"])
                // oneDNN 2.x has Winograd kernels on AVX-512 only: elsewhere direct, same numbers.
                // The native ones pay off from 32 channels in and out: automatic keeps 16→32 direct.
                let automaticSkips = algorithm == .automatic && implementation == .native
                let expected: ConvolutionAlgorithm = algorithm == .direct || !implementation.isAvailable || automaticSkips
                    ? .direct : .winograd
                XCTAssertEqual(conv.plannedAlgorithm, expected, "\(algorithm), \(implementation)")
                XCTAssertEqual(conv.implementations.allSatisfy { $0.contains("wino") }, expected == .winograd, "\(conv.implementations)")
                if expected == .winograd {
                    XCTAssertEqual(conv.implementations.allSatisfy { $0.hasPrefix("native:") }, implementation == .native,
                                   "\(conv.implementations)")
                }
            }
            // Automatic keeps direct where Winograd does not pay off or does not apply.
            let narrow = Conv2d(8, 16, kernelSize: 3, padding: 1, algorithm: .automatic, winograd: implementation)
            try narrow.prepare(inputShape: [2, 8, 8, 8], propagateDown: true)
            XCTAssertEqual(narrow.plannedAlgorithm, .direct)
            let small = Conv2d(32, 32, kernelSize: 3, padding: 1, algorithm: .automatic, winograd: implementation)
            try small.prepare(inputShape: [2, 32, 2, 2], propagateDown: true)
            XCTAssertEqual(small.plannedAlgorithm, implementation == .native && implementation.isAvailable ? .winograd : .direct,
                           "2×2 output, \(implementation)")
            let strided = Conv2d(16, 16, kernelSize: 3, stride: 2, padding: 1, algorithm: .winograd, winograd: implementation)
            try strided.prepare(inputShape: [2, 16, 8, 8], propagateDown: true)
            XCTAssertEqual(strided.plannedAlgorithm, .direct)
        }
    }

    func testPoolingReLUAndAdaptivePool() throws {
        try check(MaxPool2d(), "maxpool")
        try check(ReLU(), "relu")
        try check(AdaptiveAvgPool2d(outHeight: 2, outWidth: 3), "adaptive_avgpool")
    }

    func testLocalResponseNorm() throws {
        try check(LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2), "lrn")
        try check(LocalResponseNorm(size: 3, alpha: 1.0, beta: 0.75, k: 2), "lrn_strong")
    }

    func testLinearAndDropoutEval() throws {
        try check(Linear(6, 5), "linear", parameterKeys: ["weight", "bias"])
        try check(Dropout(probability: 0.5), "dropout_eval", mode: .inference)
    }

    func testBatchNormTrainingAndRunningStatistics() throws {
        let f = try fixture("batchnorm_train")
        let bn = BatchNorm2d(4)
        bn.runningMean.value.copy(from: Tensor(f["running_mean_before"]!.values, shape: [4]))
        bn.runningVariance.value.copy(from: Tensor(f["running_var_before"]!.values, shape: [4]))
        try check(bn, "batchnorm_train", parameterKeys: ["weight", "bias"])
        assertClose(bn.runningMean.value.array, f["running_mean_after"]!.values, "running_mean")
        assertClose(bn.runningVariance.value.array, f["running_var_after"]!.values, "running_var")
    }

    func testBatchNormInference() throws {
        let f = try fixture("batchnorm_eval")
        let bn = BatchNorm2d(4)
        bn.runningMean.value.copy(from: Tensor(f["running_mean"]!.values, shape: [4]))
        bn.runningVariance.value.copy(from: Tensor(f["running_var"]!.values, shape: [4]))
        let x = f["x"]!
        try bn.prepare(inputShape: x.shape, propagateDown: true)
        bn.weight.value.copy(from: Tensor(f["weight"]!.values, shape: [4]))
        bn.bias.value.copy(from: Tensor(f["bias"]!.values, shape: [4]))
        let input = Tensor(shape: x.shape, layout: .nhwc)
        x.values.withUnsafeBufferPointer { Tensor.permute(nchw: $0.baseAddress!, toNHWC: input.data, shape: x.shape) }
        assertClose(bn.forward(input, mode: .inference).nchwArray(), f["y"]!.values, "batchnorm eval y")
    }

    /// Plain, and with label smoothing 0.1 (`F.cross_entropy(label_smoothing=0.1)`).
    func testCrossEntropy() throws {
        for (name, smoothing) in [("cross_entropy", Float(0)), ("cross_entropy_smoothed", 0.1)] {
            let f = try fixture(name)
            let ce = SoftmaxCrossEntropy(labelSmoothing: smoothing)
            let logits = f["logits"]!
            let l = ce.forward(logits: Tensor(logits.values, shape: logits.shape), labels: f["labels"]!.values.map { Int32($0) })
            XCTAssertEqual(l, f["loss"]!.values[0], accuracy: 1e-5, name)
            assertClose(ce.backward().array, f["dlogits"]!.values, "\(name) dlogits")
        }
    }

    func testSGDMatchesTorchOptim() throws {
        let f = try fixture("sgd")
        for (prefix, nesterov, dampening) in [("p", false, Float(0)), ("n", true, 0), ("d", false, 0.1)] {
            let p = Parameter("w", shape: [3, 4])
            let store = ParameterStore([p])
            p.value.copy(from: Tensor(f["p0"]!.values, shape: [3, 4]))
            let sgd = SGD(store: store, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, dampening: dampening, nesterov: nesterov)
            for k in 1...3 {
                p.gradient.copy(from: Tensor(f["g\(k)"]!.values, shape: [3, 4]))
                sgd.step()
                assertClose(p.value.array, f["\(prefix)\(k)"]!.values, "\(prefix)\(k)", tolerance: 1e-6)
            }
        }
    }
}
