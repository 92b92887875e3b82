import Tensors

/// Fully connected layer `y = x Wᵀ + b`, PyTorch's weight layout `[out, in]`.
public final class Linear: Layer, InputGradientWriter, OutputWriter {
    public let inFeatures, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }
    public var kind: String { "FC-\(outFeatures)" }
    private var op: (any LinearOp)?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }
    private var input: Tensor?

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

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        materializeParameters(on: backend)
        let out = try outputShape(for: inputShape)
        op = try backend.makeLinear(batch: inputShape[0], inFeatures: inFeatures, outFeatures: outFeatures, propagateDown: propagateDown)
        output = outputTensor(output, shape: out, on: backend)
        inputGradient = propagateDown ? inputGradientTensor(inputGradient, shape: inputShape, on: backend) : nil
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        input = x
        op!.forward(x: x, weight: weight.value, bias: bias.value, y: output!)
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        op!.backward(x: input!, weight: weight.value, dy: dy, dx: inputGradient, dweight: weight.gradient, dbias: bias.gradient)
        return inputGradient
    }
}
