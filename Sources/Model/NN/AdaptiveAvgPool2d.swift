import Tensors

/// Average pooling to a fixed output size (torchvision's VGG uses 7×7), with PyTorch's
/// bin boundaries `floor(i·H/out)` to `ceil((i+1)·H/out)`.
public final class AdaptiveAvgPool2d: Layer, InputGradientWriter, OutputWriter {
    public let outHeight, outWidth: Int
    public var kind: String { "avgpool\(outHeight)x\(outWidth)" }
    private var op: (any AdaptiveAveragePoolOp)?
    private var backend: (any Backend)?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }
    private var shape: [Int] = []

    public init(outHeight: Int, outWidth: Int) { self.outHeight = outHeight; self.outWidth = outWidth }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 4, kind)
        return [input[0], input[1], outHeight, outWidth]
    }

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        let out = try outputShape(for: inputShape)
        op = try backend.makeAdaptiveAveragePool(inputShape: inputShape, outHeight: outHeight, outWidth: outWidth)
        output = outputTensor(output, shape: out, layout: .nhwc, on: backend)
        if propagateDown { inputGradient = inputGradientTensor(inputGradient, shape: inputShape, layout: .nhwc, on: backend) }
        shape = inputShape
        self.backend = backend
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        op!.forward(x: x, y: output!)
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        if inputGradient?.shape != shape { inputGradient = inputGradientTensor(inputGradient, shape: shape, layout: .nhwc, on: backend!) }
        op!.backward(dy: dy, dx: inputGradient!)
        return inputGradient
    }
}
