import NN
import Support
import Tensors
import TestSupport
import XCTest

/// Finite-difference checks of every layer's backward pass (input, weights, bias), on every
/// backend: the reference backend's gradients are checked against the definition this way too.
final class GradientCheckTests: XCTestCase {
    /// Places the layer on `backend` for `shape` and sets its parameters to random values.
    func placed<L: Layer>(_ layer: L, _ shape: [Int], on backend: any Backend, seed: UInt64) throws -> L {
        try layer.prepare(inputShape: shape, propagateDown: true, on: backend)
        var rng = Xoshiro256(seed: seed)
        for p in layer.parameters { p.value.copy(from: (0..<p.count).map { _ in Float(rng.nextGaussian()) * 0.3 }) }
        return layer
    }

    func testConv3x3() throws {
        for backend in TestBackends.all {
            let conv = try placed(Conv2d(3, 5, kernelSize: 3, padding: 1), [2, 3, 6, 5], on: backend, seed: 1)
            try GradientChecker().check(conv, inputShape: [2, 3, 6, 5], input: randomValues(180, seed: 2), on: backend)
        }
    }

    func testConv3x3WithSixteenChannels() throws {
        // 6×5 and 2×3 outputs: on the cpu backend F(4×4,3×3) with partial tiles and
        // F(2×2,3×3) when its configuration selects Winograd (VGG_CONV_ALGORITHM=winograd).
        for backend in TestBackends.all {
            for (h, w) in [(6, 5), (2, 3)] {
                let conv = try placed(Conv2d(16, 16, kernelSize: 3, padding: 1), [2, 16, h, w], on: backend, seed: 11)
                try GradientChecker().check(conv, inputShape: [2, 16, h, w], input: randomValues(32 * h * w, seed: 12), on: backend)
            }
        }
    }

    func testConv1x1AndStride() throws {
        for backend in TestBackends.all {
            let c1 = try placed(Conv2d(4, 3, kernelSize: 1), [2, 4, 3, 3], on: backend, seed: 3)
            try GradientChecker().check(c1, inputShape: [2, 4, 3, 3], input: randomValues(72, seed: 4), on: backend)
            let c2 = try placed(Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1), [1, 2, 7, 6], on: backend, seed: 5)
            try GradientChecker().check(c2, inputShape: [1, 2, 7, 6], input: randomValues(84, seed: 6), on: backend)
        }
    }

    func testFirstConvSkipsInputGradient() throws {
        for backend in TestBackends.all {
            let conv = try placed(Conv2d(1, 4, kernelSize: 3, padding: 1), [2, 1, 5, 5], on: backend, seed: 7)
            try GradientChecker().check(conv, inputShape: [2, 1, 5, 5], input: randomValues(50, seed: 8), on: backend, checkInput: false)
            let dy = Tensor(shape: [2, 4, 5, 5], layout: .nhwc, on: backend)
            XCTAssertNil(conv.backward(dy), "a layer planned without propagate_down must not return an input gradient")
        }
    }

    func testReLU() throws {
        for backend in TestBackends.all {
            try GradientChecker(step: 1e-3).check(ReLU(), inputShape: [2, 3, 4, 4], input: wellSeparatedValues(96, seed: 9), on: backend)
        }
    }

    func testMaxPool() throws {
        for backend in TestBackends.all {
            try GradientChecker(step: 1e-3).check(MaxPool2d(), inputShape: [2, 3, 6, 4], input: wellSeparatedValues(144, seed: 10), on: backend)
            try GradientChecker(step: 1e-3).check(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), inputShape: [1, 2, 5, 7],
                                                  input: wellSeparatedValues(70, seed: 23), on: backend)
        }
    }

    func testLocalResponseNorm() throws {
        for backend in TestBackends.all {
            try GradientChecker().check(LocalResponseNorm(size: 3, alpha: 1.0, beta: 0.75, k: 2), inputShape: [2, 6, 3, 3],
                                        input: randomValues(108, seed: 11), on: backend)
            try GradientChecker().check(LocalResponseNorm(), inputShape: [1, 7, 3, 3], input: randomValues(63, seed: 12, scale: 10), on: backend)
        }
    }

    func testBatchNormTraining() throws {
        for backend in TestBackends.all {
            let bn = try placed(BatchNorm2d(3), [4, 3, 3, 3], on: backend, seed: 13)
            try GradientChecker(step: 1e-2, relativeTolerance: 3e-2).check(bn, inputShape: [4, 3, 3, 3], input: randomValues(108, seed: 14), on: backend)
        }
    }

    func testBatchNormInference() throws {
        for backend in TestBackends.all {
            let bn = try placed(BatchNorm2d(3), [2, 3, 2, 2], on: backend, seed: 15)
            bn.runningMean.value.copy(from: [0, 0.1, 0.2])
            bn.runningVariance.value.copy(from: [1, 2, 3])
            let xv = randomValues(24, seed: 16)
            let y = bn.forward(Tensor(xv, shape: [2, 3, 2, 2], layout: .nhwc, on: backend), .inference).toArray()
            let (m, v, g, b) = (bn.runningMean.value.toArray(), bn.runningVariance.value.toArray(), bn.weight.value.toArray(), bn.bias.value.toArray())
            for i in 0..<24 {
                let c = i % 3  // NHWC
                let expected = (xv[i] - m[c]) / (v[c] + 1e-5).squareRoot() * g[c] + b[c]
                XCTAssertEqual(y[i], expected, accuracy: 1e-5, backend.name)
            }
        }
    }

    func testLinear() throws {
        for backend in TestBackends.all {
            let fc = try placed(Linear(7, 4), [3, 7], on: backend, seed: 17)
            try GradientChecker().check(fc, inputShape: [3, 7], input: randomValues(21, seed: 18), on: backend)
        }
    }

    /// Masks depend only on (seed, stream, step, sample), so repeated forwards draw the same mask.
    func testDropoutTrainingWithFixedMask() throws {
        for backend in TestBackends.all {
            try GradientChecker().check(Dropout(probability: 0.5, seed: 3, stream: 1), inputShape: [4, 10], input: randomValues(40, seed: 19), on: backend)
        }
    }

    func testFlattenAndAdaptivePool() throws {
        for backend in TestBackends.all {
            try GradientChecker().check(Flatten(), inputShape: [2, 3, 2, 3], input: randomValues(36, seed: 20), on: backend)
            try GradientChecker().check(AdaptiveAvgPool2d(outHeight: 2, outWidth: 3), inputShape: [2, 3, 5, 7],
                                        input: randomValues(210, seed: 21), on: backend)
        }
    }

    func testSoftmaxCrossEntropyGradient() {
        for backend in TestBackends.all {
            for smoothing: Float in [0, 0.2] { checkSoftmaxCrossEntropyGradient(labelSmoothing: smoothing, on: backend) }
        }
    }

    private func checkSoftmaxCrossEntropyGradient(labelSmoothing: Float, on backend: any Backend) {
        let ce = SoftmaxCrossEntropy(labelSmoothing: labelSmoothing, on: backend)
        let logits = randomValues(15, seed: 22, scale: 2)
        let labels: [Int32] = [0, 4, 2]
        _ = ce.forward(logits: Tensor(logits, shape: [3, 5], on: backend), labels: labels)
        let g = ce.backward().toArray()
        let h: Float = 1e-2
        for i in 0..<15 {
            var p = logits, m = logits
            p[i] += h; m[i] -= h
            let num = (Double(ce.forward(logits: Tensor(p, shape: [3, 5], on: backend), labels: labels).loss)
                       - Double(ce.forward(logits: Tensor(m, shape: [3, 5], on: backend), labels: labels).loss)) / (2 * Double(h))
            XCTAssertEqual(Double(g[i]), num, accuracy: 2e-3, "\(backend.name) dlogits[\(i)], label smoothing \(labelSmoothing)")
        }
    }
}
