import Kernels

/// 2-D convolution (any kernel size, stride and padding) with bias, PyTorch's weight
/// layout `[out, in, kh, kw]`.
public final class Conv2d: Layer {
    public let inChannels, outChannels, kernelSize, stride, padding: Int
    public let weight: Parameter
    public let bias: Parameter
    /// The algorithm to plan with; nil: the process default (`ConvolutionAlgorithm.processDefault`).
    public var algorithm: ConvolutionAlgorithm?
    /// Whose Winograd kernels to plan with; nil: the process default (`WinogradImplementation.processDefault`).
    public var winograd: WinogradImplementation?
    public var parameters: [Parameter] { [weight, bias] }
    public var kind: String { kernelSize == 1 && stride == 1 ? "conv1-\(outChannels)" : "conv\(kernelSize)-\(outChannels)" }

    private var kernel: ConvolutionKernel?
    private var output = Tensor(shape: [0])
    private var inputGradient = Tensor(shape: [0])
    private var input: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                algorithm: ConvolutionAlgorithm? = nil, winograd: WinogradImplementation? = nil) {
        self.algorithm = algorithm
        self.winograd = winograd
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
        let g = geometry(input)
        guard input[2] + 2 * padding >= kernelSize, input[3] + 2 * padding >= kernelSize else {
            throw ShapeError("\(kind): input \(input[2])×\(input[3]) is smaller than the \(kernelSize)×\(kernelSize) kernel")
        }
        return [input[0], outChannels, g.outHeight, g.outWidth]
    }

    public func forwardFLOPs(for input: [Int]) -> Double { geometry(input).forwardFLOPs }

    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        let out = try outputShape(for: inputShape)
        kernel = try ConvolutionKernel(geometry(inputShape), propagateDown: propagateDown,
                                       algorithm: algorithm ?? ConvolutionAlgorithm.processDefault,
                                       winograd: winograd ?? WinogradImplementation.processDefault)
        output.resize(out, layout: .nhwc)
        if propagateDown { inputGradient.resize(inputShape, layout: .nhwc) }
    }

    /// The algorithm planned (after `prepare`).
    public var plannedAlgorithm: ConvolutionAlgorithm? { kernel?.algorithm }

    /// Names of the implementations in use (after `prepare`).
    public var implementations: [String] { kernel?.implementations ?? [] }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        precondition(x.layout == .nhwc || x.shape[1] == 1, "Conv2d expects channels-last input")
        input = x
        kernel!.forward(x: x.data, weight: weight.value.data, bias: bias.value.data, y: output.data)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let k = kernel!
        k.backward(x: input!.data, weight: weight.value.data, dy: dy.data,
                   dx: k.propagateDown ? inputGradient.data : nil,
                   dweight: weight.gradient.data, dbias: bias.gradient.data)
        return k.propagateDown ? inputGradient : nil
    }
}
