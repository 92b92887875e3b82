import Kernels

/// Batch normalisation per channel with learnable scale (`weight`) and shift (`bias`)
/// and running statistics updated as PyTorch does (momentum 0.1, unbiased variance).
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// Number of training batches seen (PyTorch's `num_batches_tracked`).
    public var batchesTracked: Int = 0
    public var parameters: [Parameter] { [weight, bias] }
    public var buffers: [Parameter] { [runningMean, runningVariance] }
    public var kind: String { "batchnorm" }

    private var kernel: BatchNormKernel?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private let batchMean: Tensor
    private let batchVariance: Tensor
    private var input: Tensor?

    public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels; self.epsilon = epsilon; self.momentum = momentum
        weight = Parameter("weight", shape: [channels])
        bias = Parameter("bias", shape: [channels])
        runningMean = Parameter("running_mean", shape: [channels], trainable: false)
        runningVariance = Parameter("running_var", shape: [channels], trainable: false)
        weight.value.fill(1)
        runningVariance.value.fill(1)
        batchMean = Tensor(shape: [channels])
        batchVariance = Tensor(shape: [channels])
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 4, kind)
        guard input[1] == channels else { throw ShapeError("batchnorm expects \(channels) channels, got \(input[1])") }
        return input
    }

    public func prepare(inputShape s: [Int], propagateDown: Bool) throws {
        _ = try outputShape(for: s)
        kernel = try BatchNormKernel(batch: s[0], channels: s[1], height: s[2], width: s[3], epsilon: epsilon)
        output.resize(s, layout: .nhwc)
        if propagateDown { inputGradient.resize(s, layout: .nhwc) }
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        input = x
        let k = kernel!
        switch mode {
        case .training:
            k.forwardTraining(x: x.data, gamma: weight.value.data, beta: bias.value.data, y: output.data,
                              batchMean: batchMean.data, batchVariance: batchVariance.data)
            let n = Float(k.count)
            let unbias = n > 1 ? n / (n - 1) : 1
            let rm = runningMean.value.data, rv = runningVariance.value.data
            for c in 0..<channels {
                rm[c] = (1 - momentum) * rm[c] + momentum * batchMean[c]
                rv[c] = (1 - momentum) * rv[c] + momentum * batchVariance[c] * unbias
            }
            batchesTracked += 1
        case .inference:
            k.forwardInference(x: x.data, gamma: weight.value.data, beta: bias.value.data, y: output.data,
                               runningMean: runningMean.value.data, runningVariance: runningVariance.value.data)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        inputGradient.resize(input!.shape, layout: .nhwc)
        kernel!.backward(x: input!.data, gamma: weight.value.data, beta: bias.value.data,
                         batchMean: batchMean.data, batchVariance: batchVariance.data,
                         dy: dy.data, dx: inputGradient.data, dgamma: weight.gradient.data, dbeta: bias.gradient.data)
        return inputGradient
    }
}
