import Kernels

/// Rectified linear unit, computed in place on its input (the output is the input
/// tensor) and, in backward, in place on the incoming gradient.
public final class ReLU: Layer {
    public var kind: String { "relu" }
    private var output: Tensor?
    /// oneDNN's kernel for the planned size; other sizes use the hand-written SIMD loop.
    private var kernel: ReLUKernel?

    public init() {}
    public func outputShape(for input: [Int]) throws -> [Int] { input }
    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        let n = inputShape.reduce(1, *)
        if kernel?.count != n { kernel = n > 0 ? try ReLUKernel(count: n) : nil }
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        if let kernel, kernel.count == x.count {
            kernel.forward(x.data)
        } else {
            Elementwise.relu(x.data, count: x.count)
        }
        output = x
        return x
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        if let kernel, kernel.count == dy.count {
            kernel.backward(output: output!.data, gradient: dy.data)
        } else {
            Elementwise.reluBackward(output: output!.data, gradient: dy.data, count: dy.count)
        }
        return dy
    }
}

/// Max pooling (VGG: 2×2 window, stride 2).
public final class MaxPool2d: Layer {
    public let kernelSize, stride, padding: Int
    public var kind: String { "maxpool" }
    private var kernel: MaxPoolingKernel?
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

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

    public func prepare(inputShape s: [Int], propagateDown: Bool) throws {
        let out = try outputShape(for: s)
        kernel = try MaxPoolingKernel(batch: s[0], channels: s[1], height: s[2], width: s[3],
                                      kernel: kernelSize, stride: stride, padding: padding)
        output.resize(out, layout: .nhwc)
        inputShape = s
        if propagateDown { inputGradient.resize(s, layout: .nhwc) }
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        kernel!.forward(x: x.data, y: output.data)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        inputGradient.resize(inputShape, layout: .nhwc)  // allocated here if planned for inference
        kernel!.backward(dy: dy.data, dx: inputGradient.data)
        return inputGradient
    }
}

/// Local response normalisation across channels (AlexNet/Caffe/PyTorch convention);
/// VGG's A-LRN uses size 5, α = 1e-4, β = 0.75, k = 2.
public final class LocalResponseNorm: Layer {
    public let size: Int
    public let alpha, beta, k: Float
    public var kind: String { "LRN" }
    private var kernel: LRNKernel?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var input: Tensor?

    public init(size: Int = 5, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 2) {
        self.size = size; self.alpha = alpha; self.beta = beta; self.k = k
    }

    public func outputShape(for input: [Int]) throws -> [Int] { try requireRank(input, 4, kind); return input }

    public func prepare(inputShape s: [Int], propagateDown: Bool) throws {
        _ = try outputShape(for: s)
        kernel = try LRNKernel(batch: s[0], channels: s[1], height: s[2], width: s[3], size: size, alpha: alpha, beta: beta, k: k)
        output.resize(s, layout: .nhwc)
        if propagateDown { inputGradient.resize(s, layout: .nhwc) }
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        input = x
        kernel!.forward(x: x.data, y: output.data)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        inputGradient.resize(input!.shape, layout: .nhwc)
        kernel!.backward(x: input!.data, dy: dy.data, dx: inputGradient.data)
        return inputGradient
    }
}
