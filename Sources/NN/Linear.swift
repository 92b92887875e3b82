import Kernels

/// Fully connected layer `y = x Wᵀ + b`, PyTorch's weight layout `[out, in]`.
public final class Linear: Layer {
    public let inFeatures, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }
    public var kind: String { "FC-\(outFeatures)" }
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var input: Tensor?
    private var propagateDown = true

    public init(_ inFeatures: Int, _ outFeatures: Int) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = Parameter("weight", shape: [outFeatures, inFeatures])
        bias = Parameter("bias", shape: [outFeatures])
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 2, kind)
        guard input[1] == inFeatures else {
            throw ShapeError("\(kind) expects \(inFeatures) input features, got \(input[1])")
        }
        return [input[0], outFeatures]
    }

    public func forwardFLOPs(for input: [Int]) -> Double { 2.0 * Double(input[0] * inFeatures * outFeatures) }

    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        output.resize(try outputShape(for: inputShape))
        if propagateDown { inputGradient.resize(inputShape) }
        self.propagateDown = propagateDown
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        input = x
        let n = x.shape[0]
        let y = output.data, b = bias.value.data
        for i in 0..<n { (y + i * outFeatures).update(from: b, count: outFeatures) }
        GEMM.multiply(transposeA: false, transposeB: true, m: n, n: outFeatures, k: inFeatures,
                      a: x.data, b: weight.value.data, beta: 1, c: y)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let n = dy.shape[0]
        // dW = dyᵀ x ; db = Σ dy ; dx = dy W
        GEMM.multiply(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n,
                      a: dy.data, b: input!.data, c: weight.gradient.data)
        let db = bias.gradient.data, g = dy.data
        db.update(repeating: 0, count: outFeatures)
        for i in 0..<n {
            let row = g + i * outFeatures
            for j in 0..<outFeatures { db[j] += row[j] }
        }
        guard propagateDown else { return nil }
        GEMM.multiply(transposeA: false, transposeB: false, m: n, n: inFeatures, k: outFeatures,
                      a: dy.data, b: weight.value.data, c: inputGradient.data)
        return inputGradient
    }
}
