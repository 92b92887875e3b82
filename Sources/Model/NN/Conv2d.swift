import Tensors

/// 2-D convolution (any kernel size, stride and padding) with bias, PyTorch's weight
/// layout `[out, in, kh, kw]`. How it is computed (algorithm, library) is the backend's choice.
public final class Conv2d: Layer, InputGradientWriter, OutputWriter {
    public let inChannels, outChannels, kernelSize, stride, padding: Int
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }
    public var kind: String { kernelSize == 1 && stride == 1 ? "conv1-\(outChannels)" : "conv\(kernelSize)-\(outChannels)" }

    /// The op planned by the last `prepare` (its algorithm and implementations).
    public private(set) var plannedOp: (any ConvolutionOp)?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }
    private var input: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0)
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        weight = Parameter("weight", shape: [outChannels, inChannels, kernelSize, kernelSize])
        bias = Parameter("bias", shape: [outChannels])
    }

    private func geometry(_ s: [Int]) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: s[0], inChannels: s[1], height: s[2], width: s[3], outChannels: outChannels,
                            kernelH: kernelSize, kernelW: kernelSize, stride: stride, padding: padding)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 4, kind)
        guard input[1] == inChannels else { throw ShapeError("\(kind) expects \(inChannels) input channels, got \(input[1])") }
        guard input[2] + 2 * padding >= kernelSize, input[3] + 2 * padding >= kernelSize else {
            throw ShapeError("\(kind): input \(input[2])×\(input[3]) is smaller than the \(kernelSize)×\(kernelSize) kernel")
        }
        let g = geometry(input)
        return [input[0], outChannels, g.outHeight, g.outWidth]
    }

    public func forwardFLOPs(for input: [Int]) -> Double { geometry(input).forwardFLOPs }

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        materializeParameters(on: backend)
        let out = try outputShape(for: inputShape)
        plannedOp = try backend.makeConvolution(geometry(inputShape), propagateDown: propagateDown)
        output = outputTensor(output, shape: out, layout: .nhwc, on: backend)
        inputGradient = propagateDown ? inputGradientTensor(inputGradient, shape: inputShape, layout: .nhwc, on: backend) : nil
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        input = x
        plannedOp!.forward(x: x, weight: weight.value, bias: bias.value, y: output!)
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let op = plannedOp!
        op.backward(x: input!, weight: weight.value, dy: dy, dx: op.propagateDown ? inputGradient : nil,
                    dweight: weight.gradient, dbias: bias.gradient)
        return op.propagateDown ? inputGradient : nil
    }
}
