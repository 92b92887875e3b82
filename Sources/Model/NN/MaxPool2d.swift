import Tensors

/// Max pooling (VGG: 2×2 window, stride 2).
public final class MaxPool2d: Layer, InputGradientWriter, OutputWriter {
    public let kernelSize, stride, padding: Int
    public var kind: String { "maxpool" }
    private var op: (any MaxPoolingOp)?
    private var backend: (any Backend)?
    private var inputShape: [Int] = []
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }

    public init(kernelSize: Int = 2, stride: Int = 2, padding: Int = 0) {
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 4, kind)
        guard input[2] + 2 * padding >= kernelSize, input[3] + 2 * padding >= kernelSize else {
            throw ShapeError("maxpool: input \(input[2])×\(input[3]) is too small for a \(kernelSize)×\(kernelSize) window (too many poolings for this input size?)")
        }
        return [input[0], input[1], (input[2] + 2 * padding - kernelSize) / stride + 1, (input[3] + 2 * padding - kernelSize) / stride + 1]
    }

    public func prepare(inputShape s: [Int], propagateDown: Bool, on backend: any Backend) throws {
        let out = try outputShape(for: s)
        op = try backend.makeMaxPooling(PoolingGeometry(batch: s[0], channels: s[1], height: s[2], width: s[3],
                                                        kernel: kernelSize, stride: stride, padding: padding))
        output = outputTensor(output, shape: out, layout: .nhwc, on: backend)
        if propagateDown { inputGradient = inputGradientTensor(inputGradient, shape: s, layout: .nhwc, on: backend) }
        inputShape = s
        self.backend = backend
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        op!.forward(x: x, y: output!)
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        // Allocated here when planned without propagate_down (a layer used on its own).
        if inputGradient?.shape != inputShape { inputGradient = inputGradientTensor(inputGradient, shape: inputShape, layout: .nhwc, on: backend!) }
        op!.backward(dy: dy, dx: inputGradient!)
        return inputGradient
    }
}
