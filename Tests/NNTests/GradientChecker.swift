import Kernels
import NN
import XCTest

/// Finite-difference gradient checking, in the spirit of Caffe's GradientChecker:
/// the loss is L = Σ y·r for a fixed random r, and the analytic gradients of one backward
/// pass are compared with central differences at sampled coordinates.
struct GradientChecker {
    var step: Float = 1e-2
    var relativeTolerance: Double = 2e-2
    var absoluteTolerance: Double = 2e-3
    var samples = 30

    /// `input` is logical NCHW; 4-D inputs are fed channels-last as the network does.
    func check(_ layer: Layer, inputShape: [Int], input: [Float], mode: Mode = .training,
               beforeForward: () -> Void = {}, checkInput: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) throws {
        try layer.prepare(inputShape: inputShape, propagateDown: checkInput)
        let outShape = try layer.outputShape(for: inputShape)
        var rng = RandomSource(seed: 99)
        let r = (0..<outShape.reduce(1, *)).map { _ in rng.normal() }

        func makeInput(_ v: [Float]) -> Tensor {
            if inputShape.count == 4 {
                let t = Tensor(shape: inputShape, layout: .nhwc)
                v.withUnsafeBufferPointer { Tensor.permute(nchw: $0.baseAddress!, toNHWC: t.data, shape: inputShape) }
                return t
            }
            return Tensor(v, shape: inputShape)
        }
        func loss(_ v: [Float]) -> Double {
            beforeForward()
            let y = layer.forward(makeInput(v), mode: mode)
            let yv = y.nchwArray()
            var s = 0.0
            for i in 0..<yv.count { s += Double(yv[i]) * Double(r[i]) }
            return s
        }

        // Analytic pass.
        beforeForward()
        let y = layer.forward(makeInput(input), mode: mode)
        let dy = Tensor(shape: outShape, layout: y.layout)
        if outShape.count == 4 && y.layout == .nhwc {
            r.withUnsafeBufferPointer { Tensor.permute(nchw: $0.baseAddress!, toNHWC: dy.data, shape: outShape) }
        } else {
            r.withUnsafeBufferPointer { dy.data.update(from: $0.baseAddress!, count: r.count) }
        }
        let dx = layer.backward(dy)
        let analyticInput = dx?.nchwArray()
        let analyticParams = layer.parameters.map { $0.gradient.array }

        func compare(_ analytic: Double, _ numeric: Double, _ what: String) {
            let scale = max(abs(analytic), abs(numeric), 1)
            XCTAssertLessThanOrEqual(abs(analytic - numeric), max(absoluteTolerance, relativeTolerance * scale),
                                     "\(layer.kind) \(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        var pick = RandomSource(seed: 5)
        if checkInput {
            let a = try XCTUnwrap(analyticInput, "\(layer.kind) returned no input gradient", file: file, line: line)
            for _ in 0..<min(samples, input.count) {
                let i = Int(pick.next() % UInt64(input.count))
                var plus = input, minus = input
                plus[i] += step; minus[i] -= step
                compare(Double(a[i]), (loss(plus) - loss(minus)) / (2 * Double(step)), "dx[\(i)]")
            }
        }
        for (k, p) in layer.parameters.enumerated() {
            for _ in 0..<min(samples, p.count) {
                let i = Int(pick.next() % UInt64(p.count))
                let original = p.value[i]
                p.value[i] = original + step
                let lp = loss(input)
                p.value[i] = original - step
                let lm = loss(input)
                p.value[i] = original
                compare(Double(analyticParams[k][i]), (lp - lm) / (2 * Double(step)), "d\(p.name)[\(i)]")
            }
        }
    }
}

/// Random values kept away from zero and from each other's neighbourhood, so that ReLU and
/// max-pooling kinks are not crossed by the finite-difference step.
func wellSeparatedValues(_ n: Int, seed: UInt64) -> [Float] {
    var rng = RandomSource(seed: seed)
    var v = (0..<n).map { Float($0) - Float(n) / 2 + 0.5 }
    v.shuffle(using: &rng)
    return v.map { $0 * (4.0 / Float(n)) + ($0 >= 0 ? 0.05 : -0.05) }
}

func randomValues(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = RandomSource(seed: seed)
    return (0..<n).map { _ in rng.normal() * scale }
}
