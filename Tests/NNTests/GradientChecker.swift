import NN
import Support
import Tensors
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
    func check(_ layer: Layer, inputShape: [Int], input: [Float], on backend: any Backend, mode: Mode = .training,
               checkInput: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        try layer.prepare(inputShape: inputShape, propagateDown: checkInput, on: backend)
        let outShape = try layer.outputShape(for: inputShape)
        var rng = Xoshiro256(seed: 99)
        let r = (0..<outShape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }
        let context = PassContext(mode: mode, step: 3)

        func makeInput(_ v: [Float]) -> Tensor {
            if inputShape.count == 4 {
                return Tensor(HostLayout.nhwc(fromNCHW: v, shape: inputShape), shape: inputShape, layout: .nhwc, on: backend)
            }
            return Tensor(v, shape: inputShape, on: backend)
        }
        func loss(_ v: [Float]) -> Double {
            let yv = layer.forward(makeInput(v), context).nchwArray()
            var s = 0.0
            for i in 0..<yv.count { s += Double(yv[i]) * Double(r[i]) }
            return s
        }

        // Analytic pass.
        let y = layer.forward(makeInput(input), context)
        let dy: Tensor
        if outShape.count == 4 && y.layout == .nhwc {
            dy = Tensor(HostLayout.nhwc(fromNCHW: r, shape: outShape), shape: outShape, layout: .nhwc, on: backend)
        } else {
            dy = Tensor(r, shape: outShape, layout: y.layout, on: backend)
        }
        let dx = layer.backward(dy)
        let analyticInput = dx?.nchwArray()
        let analyticParams = layer.parameters.map { $0.gradient.toArray() }

        func compare(_ analytic: Double, _ numeric: Double, _ what: String) {
            let scale = max(abs(analytic), abs(numeric), 1)
            XCTAssertLessThanOrEqual(abs(analytic - numeric), max(absoluteTolerance, relativeTolerance * scale),
                                     "\(backend.name) \(layer.kind) \(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        var pick = Xoshiro256(seed: 5)
        if checkInput {
            let a = try XCTUnwrap(analyticInput, "\(layer.kind) returned no input gradient", file: file, line: line)
            for _ in 0..<min(samples, input.count) {
                let i = pick.nextInt(below: input.count)
                var plus = input, minus = input
                plus[i] += step; minus[i] -= step
                compare(Double(a[i]), (loss(plus) - loss(minus)) / (2 * Double(step)), "dx[\(i)]")
            }
        }
        for (k, p) in layer.parameters.enumerated() {
            let original = p.value.toArray()
            for _ in 0..<min(samples, p.count) {
                let i = pick.nextInt(below: p.count)
                var v = original
                v[i] = original[i] + step
                p.value.copy(from: v)
                let lp = loss(input)
                v[i] = original[i] - step
                p.value.copy(from: v)
                let lm = loss(input)
                p.value.copy(from: original)
                compare(Double(analyticParams[k][i]), (lp - lm) / (2 * Double(step)), "d\(p.name)[\(i)]")
            }
        }
    }
}

/// Random values kept away from zero and from each other's neighbourhood, so that ReLU and
/// max-pooling kinks are not crossed by the finite-difference step.
func wellSeparatedValues(_ n: Int, seed: UInt64) -> [Float] {
    var rng = Xoshiro256(seed: seed)
    var v = (0..<n).map { Float($0) - Float(n) / 2 + 0.5 }
    v.shuffle(using: &rng)
    return v.map { $0 * (4.0 / Float(n)) + ($0 >= 0 ? 0.05 : -0.05) }
}

func randomValues(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = Xoshiro256(seed: seed)
    return (0..<n).map { _ in Float(rng.nextGaussian()) * scale }
}
