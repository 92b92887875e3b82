import Tensors

/// Local response normalisation across channels (AlexNet/Caffe/PyTorch convention);
/// VGG's A-LRN uses size 5, α = 1e-4, β = 0.75, k = 2.
public final class LocalResponseNorm: Layer, InputGradientWriter, OutputWriter {
    public let size: Int
    public let alpha, beta, k: Float
    public var kind: String { "LRN" }
    private var op: (any LocalResponseNormOp)?
    private var backend: (any Backend)?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }
    private var input: Tensor?

    public init(size: Int = 5, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 2) {
        self.size = size; self.alpha = alpha; self.beta = beta; self.k = k
    }

    public func outputShape(for input: [Int]) throws -> [Int] { try requireRank(input, 4, kind); return input }

    public func prepare(inputShape s: [Int], propagateDown: Bool, on backend: any Backend) throws {
        _ = try outputShape(for: s)
        op = try backend.makeLocalResponseNorm(shape: s, LocalResponseNormParameters(size: size, alpha: alpha, beta: beta, k: k))
        output = outputTensor(output, shape: s, layout: .nhwc, on: backend)
        if propagateDown { inputGradient = inputGradientTensor(inputGradient, shape: s, layout: .nhwc, on: backend) }
        self.backend = backend
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        input = x
        op!.forward(x: x, y: output!)
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        if inputGradient?.shape != input!.shape { inputGradient = inputGradientTensor(inputGradient, shape: input!.shape, layout: .nhwc, on: backend!) }
        op!.backward(x: input!, dy: dy, dx: inputGradient!)
        return inputGradient
    }
}
