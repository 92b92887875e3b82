import Foundation
import XCTest
import ReferenceBackend
import Tensors

/// The reference on tiny cases computed by hand (and its hand-derived LRN gradient against
/// finite differences), so that the oracle is checked against the definitions and not only
/// against the `cpu` backend.
final class ReferenceDefinitionTests: XCTestCase {
    let reference = Conformance.reference

    private func tensor(_ values: [Float], _ shape: [Int], _ layout: MemoryLayout4D = .nhwc) -> Tensor {
        Tensor(values, shape: shape, layout: layout, on: HostMemory.shared)
    }

    /// x = 1…9 on one 3×3 channel, a 3×3 kernel of ones, bias 0.5, padding 1: each output
    /// is the sum of the inputs around it. With dy = 1: dweight is the same sums (tap (p, q)
    /// sees the inputs it reaches), dbias the output count, dx the number of windows over each input.
    func testConvolutionByHand() throws {
        let g = ConvolutionGeometry(batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1,
                                    kernelH: 3, kernelW: 3, stride: 1, padding: 1)
        let op = try reference.makeConvolution(g, propagateDown: true)
        let x = tensor((1...9).map(Float.init), [1, 1, 3, 3]), w = tensor([Float](repeating: 1, count: 9), [1, 1, 3, 3], .nchw)
        let y = filled([1, 1, 3, 3])
        op.forward(x: x, weight: w, bias: tensor([0.5], [1]), y: y)
        let sums: [Float] = [12, 21, 16, 27, 45, 33, 24, 39, 28]
        XCTAssertEqual(y.toArray(), sums.map { $0 + 0.5 })
        let dx = filled([1, 1, 3, 3]), dw = filled([1, 1, 3, 3], layout: .nchw), db = filled([1])
        op.backward(x: x, weight: w, dy: tensor([Float](repeating: 1, count: 9), [1, 1, 3, 3]), dx: dx, dweight: dw, dbias: db)
        XCTAssertEqual(dw.toArray(), sums)
        XCTAssertEqual(db.toArray(), [9])
        XCTAssertEqual(dx.toArray(), [4, 6, 4, 6, 9, 6, 4, 6, 4])
    }

    /// Two input and two output channels, 2×2 kernel, stride 2, no padding, on a 3×3 input
    /// (NHWC: channel pairs). One output position: y_o = b_o + Σ w[o, c, p, q]·x[p, q, c].
    func testStridedTwoChannelConvolutionByHand() throws {
        let g = ConvolutionGeometry(batch: 1, inChannels: 2, height: 3, width: 3, outChannels: 2,
                                    kernelH: 2, kernelW: 2, stride: 2, padding: 0)
        let op = try reference.makeConvolution(g, propagateDown: true)
        // x[r, s, c] = 10·(3r + s) + c
        let x = tensor((0..<9).flatMap { [Float(10 * $0), Float(10 * $0 + 1)] }, [1, 2, 3, 3])
        // Output 0 takes channel 0 at (0,0) minus channel 1 at (1,1); output 1 takes 2× channel 1 at (0,1).
        var w = [Float](repeating: 0, count: 16)                     // OIHW [2, 2, 2, 2]
        w[((0 * 2 + 0) * 2 + 0) * 2 + 0] = 1
        w[((0 * 2 + 1) * 2 + 1) * 2 + 1] = -1
        w[((1 * 2 + 1) * 2 + 0) * 2 + 1] = 2
        let y = filled([1, 2, 1, 1])
        op.forward(x: x, weight: tensor(w, [2, 2, 2, 2], .nchw), bias: tensor([0, 100], [2]), y: y)
        XCTAssertEqual(y.toArray(), [0 - 41, 100 + 2 * 11])
        let dx = filled([1, 2, 3, 3]), dw = filled([2, 2, 2, 2], layout: .nchw), db = filled([2])
        op.backward(x: x, weight: tensor(w, [2, 2, 2, 2], .nchw), dy: tensor([1, 3], [1, 2, 1, 1]), dx: dx, dweight: dw, dbias: db)
        XCTAssertEqual(db.toArray(), [1, 3])
        // dx[r, s, c] = Σ_o dy_o·w[o, c, r, s] inside the window, 0 in the last row and column.
        var expected = [Float](repeating: 0, count: 18)
        expected[(0 * 3 + 0) * 2 + 0] = 1; expected[(1 * 3 + 1) * 2 + 1] = -1; expected[(0 * 3 + 1) * 2 + 1] = 6
        XCTAssertEqual(dx.toArray(), expected)
        // dw[o, c, p, q] = dy_o·x[p, q, c]
        let dy: [Float] = [1, 3]
        var expectedDW = [Float](repeating: 0, count: 16)
        for o in 0..<2 { for c in 0..<2 { for p in 0..<2 { for q in 0..<2 {
            expectedDW[((o * 2 + c) * 2 + p) * 2 + q] = dy[o] * Float(10 * (3 * p + q) + c)
        } } } }
        XCTAssertEqual(dw.toArray(), expectedDW)
    }

    /// p = (1/4, 3/4) for logits (0, ln 3). Sample 0 labelled 1, sample 1 labelled 0:
    /// losses −ln(3/4) and −ln(1/4); only sample 0 correct. With smoothing ε each loss gains
    /// ε·(mean of −ln p_j − the label's −ln p).
    func testTwoClassCrossEntropyByHand() {
        let ln3 = Float(log(3.0))
        let logits = tensor([0, ln3, 0, ln3], [2, 2]), labels = tensor([1, 0], [2])
        for epsilon in [0.0, 0.2] {
            let p = filled([2, 2]), s = filled([2]), g = filled([2, 2])
            reference.softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: Float(epsilon), probabilities: p, statistics: s)
            reference.softmaxCrossEntropyBackward(probabilities: p, labels: labels, labelSmoothing: Float(epsilon), normalizer: p.shape[0], gradient: g)
            let (a, b) = (-log(0.75), -log(0.25))
            let expectedLoss = ((1 - epsilon) * a + epsilon * (a + b) / 2 + (1 - epsilon) * b + epsilon * (a + b) / 2) / 2
            for (value, expected) in zip(p.toArray(), [0.25, 0.75, 0.25, 0.75]) { XCTAssertEqual(Double(value), expected, accuracy: 1e-7) }
            XCTAssertEqual(Double(s.toArray()[0]), expectedLoss, accuracy: 1e-6, "ε \(epsilon)")
            XCTAssertEqual(s.toArray()[1], 1)
            // (p − t)/N with t = (1 − ε)·onehot + ε/2
            let t: [Double] = [epsilon / 2, 1 - epsilon / 2, 1 - epsilon / 2, epsilon / 2]
            for (i, value) in g.toArray().enumerated() {
                XCTAssertEqual(Double(value), ([0.25, 0.75, 0.25, 0.75][i] - t[i]) / 2, accuracy: 1e-7, "ε \(epsilon) gradient \(i)")
            }
        }
    }

    /// One channel (the window holds only itself): b = a / (k + α/size·a²)^β; a = 2, k = 1,
    /// α = 3, size 3, β = 1: b = 2/5. Two channels, size 3: each window holds both.
    func testLocalResponseNormByHand() throws {
        let one = try reference.makeLocalResponseNorm(shape: [1, 1, 1, 1], LocalResponseNormParameters(size: 3, alpha: 3, beta: 1, k: 1))
        let y = filled([1, 1, 1, 1])
        one.forward(x: tensor([2], [1, 1, 1, 1]), y: y)
        XCTAssertEqual(y.toArray()[0], 0.4, accuracy: 1e-7)
        let two = try reference.makeLocalResponseNorm(shape: [1, 2, 1, 1], LocalResponseNormParameters(size: 3, alpha: 3, beta: 0.5, k: 1))
        let y2 = filled([1, 2, 1, 1])
        two.forward(x: tensor([1, 2], [1, 2, 1, 1]), y: y2)   // d = 1 + (1 + 4) = 6 for both
        XCTAssertEqual(y2.toArray()[0], Float(1 / 6.0.squareRoot()), accuracy: 1e-7)
        XCTAssertEqual(y2.toArray()[1], Float(2 / 6.0.squareRoot()), accuracy: 1e-7)
        // An even size reaches one channel further down than up: size 2 sums channels c − 1 and c.
        // x = (1, 2, 3), α/size = 1, β = 1, k = 1: d = (1 + 1, 1 + 1 + 4, 1 + 4 + 9).
        let even = try reference.makeLocalResponseNorm(shape: [1, 3, 1, 1], LocalResponseNormParameters(size: 2, alpha: 2, beta: 1, k: 1))
        let y3 = filled([1, 3, 1, 1])
        even.forward(x: tensor([1, 2, 3], [1, 3, 1, 1]), y: y3)
        for (value, expected) in zip(y3.toArray(), [1.0 / 2, 2.0 / 6, 3.0 / 14]) { XCTAssertEqual(Double(value), expected, accuracy: 1e-7) }
    }

    /// The hand-derived LRN gradient against central differences of the reference forward,
    /// for sizes 3, 4 and 5 on 7 channels (windows cut by both ends; an even size's window
    /// is lopsided).
    func testLocalResponseNormGradientAgainstFiniteDifferences() throws {
        var data = TestData(seed: 14)
        let shape = [2, 7, 2, 1]
        for p in [LocalResponseNormParameters(size: 3, alpha: 1.5, beta: 0.75, k: 1),
                  LocalResponseNormParameters(size: 4, alpha: 1, beta: 0.75, k: 1),
                  LocalResponseNormParameters(size: 5, alpha: 2, beta: 0.6, k: 0.5)] {
            let op = try reference.makeLocalResponseNorm(shape: shape, p)
            let xv = data.gaussian(28), dyv = data.gaussian(28)
            let dx = filled(shape)
            op.backward(x: tensor(xv, shape), dy: tensor(dyv, shape), dx: dx)
            func loss(_ values: [Float]) -> Double {
                let y = filled(shape)
                op.forward(x: tensor(values, shape), y: y)
                return zip(y.toArray(), dyv).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            let h: Float = 1e-2
            var numeric = [Float](repeating: 0, count: 28)
            for i in 0..<28 {
                var plus = xv, minus = xv
                plus[i] += h; minus[i] -= h
                numeric[i] = Float((loss(plus) - loss(minus)) / Double(plus[i] - minus[i]))
            }
            assertClose(dx.toArray(), numeric, tolerance: 2e-3, "reference LRN gradient against finite differences \(p)")
        }
    }

    /// x = (1, 3) in one channel: mean 2, biased variance 1, y = ±1 (ε tiny); the running
    /// variance takes the unbiased 2 (momentum 1 replaces the running statistics). dx of a
    /// constant dy is 0; dγ = Σ dy·x̂, dβ = Σ dy.
    func testBatchNormByHand() throws {
        let op = try reference.makeBatchNorm(shape: [2, 1, 1, 1], epsilon: 1e-12)
        let x = tensor([1, 3], [2, 1, 1, 1]), gamma = tensor([2], [1]), beta = tensor([0.5], [1])
        let rm = tensor([7], [1]), rv = tensor([7], [1]), y = filled([2, 1, 1, 1])
        op.forwardTraining(x: x, gamma: gamma, beta: beta, y: y, runningMean: rm, runningVariance: rv, momentum: 1, synchronization: nil)
        XCTAssertEqual(y.toArray(), [-1.5, 2.5])
        XCTAssertEqual(rm.toArray(), [2])
        XCTAssertEqual(rv.toArray(), [2])
        let dx = filled([2, 1, 1, 1]), dgamma = filled([1]), dbeta = filled([1])
        op.backward(x: x, gamma: gamma, beta: beta, dy: tensor([1, 1], [2, 1, 1, 1]), dx: dx, dgamma: dgamma, dbeta: dbeta, synchronization: nil)
        XCTAssertEqual(dx.toArray(), [0, 0])
        XCTAssertEqual(dgamma.toArray(), [0])
        XCTAssertEqual(dbeta.toArray(), [2])
        // Inference with running statistics (2, 2): y = 2·(x − 2)/√2 + 0.5.
        op.forwardInference(x: x, gamma: gamma, beta: beta, y: y, runningMean: rm, runningVariance: rv)
        XCTAssertEqual(y.toArray()[0], Float(-2 / 2.0.squareRoot() + 0.5), accuracy: 1e-6)
        // n = 1: the unbiased variance stays the biased one (0).
        let single = try reference.makeBatchNorm(shape: [1, 1, 1, 1], epsilon: 1e-5)
        let rv1 = tensor([5], [1])
        single.forwardTraining(x: tensor([4], [1, 1, 1, 1]), gamma: gamma, beta: beta, y: filled([1, 1, 1, 1]),
                               runningMean: tensor([0], [1]), runningVariance: rv1, momentum: 0.5, synchronization: nil)
        XCTAssertEqual(rv1.toArray(), [2.5])
    }

    func testLinearByHand() throws {
        let op = try reference.makeLinear(batch: 1, inFeatures: 2, outFeatures: 2, propagateDown: true)
        let x = tensor([1, -1], [1, 2]), w = tensor([1, 2, 3, 4], [2, 2]), y = filled([1, 2])
        op.forward(x: x, weight: w, bias: tensor([0.5, -0.5], [2]), y: y)
        XCTAssertEqual(y.toArray(), [-0.5, -1.5])
        let dx = filled([1, 2]), dw = filled([2, 2]), db = filled([2])
        op.backward(x: x, weight: w, dy: tensor([1, 10], [1, 2]), dx: dx, dweight: dw, dbias: db)
        XCTAssertEqual(dw.toArray(), [1, -1, 10, -10])
        XCTAssertEqual(db.toArray(), [1, 10])
        XCTAssertEqual(dx.toArray(), [31, 42])
    }

    /// 3×3 windows, stride 2, padding 1 on a 3×3 input: 2×2 outputs whose windows overlap
    /// in the middle row and column; the padding never wins, even over negative values.
    func testMaxPoolingByHand() throws {
        let g = PoolingGeometry(batch: 1, channels: 1, height: 3, width: 3, kernel: 3, stride: 2, padding: 1)
        let op = try reference.makeMaxPooling(g)
        let x = tensor([-9, -8, -7,
                        -6, -1, -5,
                        -4, -3, -2], [1, 1, 3, 3])
        let y = filled([1, 1, 2, 2])
        op.forward(x: x, y: y)
        XCTAssertEqual(y.toArray(), [-1, -1, -1, -1])
        let dx = filled([1, 1, 3, 3])
        op.backward(dy: tensor([1, 2, 3, 4], [1, 1, 2, 2]), dx: dx)
        XCTAssertEqual(dx.toArray(), [0, 0, 0, 0, 10, 0, 0, 0, 0])
        // Ties: the first in row-major order; NaN wins, and a later NaN replaces an earlier one.
        let g2 = PoolingGeometry(batch: 1, channels: 1, height: 2, width: 2, kernel: 2, stride: 2)
        let op2 = try reference.makeMaxPooling(g2)
        for (values, winner) in [([Float](arrayLiteral: 1, 3, 3, 2), 1), ([3, 3, 3, 3], 0), ([1, .nan, 5, 2], 1), ([.nan, 9, .nan, 2], 2)] {
            let y2 = filled([1, 1, 1, 1]), dx2 = filled([1, 1, 2, 2])
            op2.forward(x: tensor(values, [1, 1, 2, 2]), y: y2)
            op2.backward(dy: tensor([1], [1, 1, 1, 1]), dx: dx2)
            XCTAssertEqual(dx2.toArray(), (0..<4).map { $0 == winner ? 1 : 0 }, "\(values)")
            XCTAssertEqual(y2.toArray()[0].bitPattern, values[winner].bitPattern, "\(values)")
        }
    }

    /// PyTorch's bins: 5 rows to 2 are rows 0..<3 and 2..<5 (row 2 in both).
    func testAdaptiveAveragePoolByHand() throws {
        let op = try reference.makeAdaptiveAveragePool(inputShape: [1, 1, 5, 1], outHeight: 2, outWidth: 1)
        let y = filled([1, 1, 2, 1]), dx = filled([1, 1, 5, 1])
        op.forward(x: tensor([1, 2, 3, 4, 5], [1, 1, 5, 1]), y: y)
        XCTAssertEqual(y.toArray(), [2, 4])
        op.backward(dy: tensor([3, 6], [1, 1, 2, 1]), dx: dx)
        XCTAssertEqual(dx.toArray(), [1, 1, 3, 2, 2])
    }
}
