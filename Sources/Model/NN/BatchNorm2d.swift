import Tensors

/// Batch normalisation per channel with learnable scale (`weight`) and shift (`bias`)
/// and running statistics updated as PyTorch does (momentum 0.1, unbiased variance).
public final class BatchNorm2d: Layer, InputGradientWriter, OutputWriter {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// Number of training batches seen (PyTorch's `num_batches_tracked`).
    public var batchesTracked: Int = 0
    /// Set when the batch is one process's slice of a global batch whose statistics are to
    /// be used (synchronised BatchNorm): sums per-channel statistics over the processes.
    public var synchronization: BatchNormSynchronization?
    /// Ghost batch normalisation (`vgg train --reproducible`): when true, a training forward
    /// normalises with its batch's statistics as always but leaves the running statistics and
    /// `batchesTracked` alone, keeping the batch's per-channel mean and unbiased variance in
    /// `lastBatchStatistics` for whoever combines the batches of a step.
    public var keepsBatchStatistics = false
    /// With `keepsBatchStatistics`: the last training forward's per-channel batch mean and
    /// unbiased variance (n/(n − 1), as PyTorch's `running_var`), and n, the values per
    /// channel (N·H·W) they come from.
    public private(set) var lastBatchStatistics: (mean: [Float], variance: [Float], valuesPerChannel: Int)?
    public var parameters: [Parameter] { [weight, bias] }
    public var buffers: [Parameter] { [runningMean, runningVariance] }
    public var kind: String { "batchnorm" }

    private var op: (any BatchNormOp)?
    private var backend: (any Backend)?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }
    private var input: Tensor?
    /// Where a forward with `keepsBatchStatistics` has the op write its batch statistics.
    private var batchStatisticsTensors: (mean: Tensor, variance: Tensor)?

    public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels; self.epsilon = epsilon; self.momentum = momentum
        weight = Parameter("weight", shape: [channels], initialValue: 1)
        bias = Parameter("bias", shape: [channels])
        runningMean = Parameter("running_mean", shape: [channels], trainable: false)
        runningVariance = Parameter("running_var", shape: [channels], trainable: false, initialValue: 1)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 4, kind)
        guard input[1] == channels else { throw ShapeError("batchnorm expects \(channels) channels, got \(input[1])") }
        return input
    }

    public func prepare(inputShape s: [Int], propagateDown: Bool, on backend: any Backend) throws {
        materializeParameters(on: backend)
        _ = try outputShape(for: s)
        op = try backend.makeBatchNorm(shape: s, epsilon: epsilon)
        output = outputTensor(output, shape: s, layout: .nhwc, on: backend)
        if propagateDown { inputGradient = inputGradientTensor(inputGradient, shape: s, layout: .nhwc, on: backend) }
        self.backend = backend
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        input = x
        switch context.mode {
        case .training where keepsBatchStatistics:
            // The op's running-statistics update with momentum 1 on zeroed tensors leaves exactly
            // the batch's statistics there ((1 − 1)·0 + 1·batch), on every backend.
            let t = batchStatisticsTensors ?? (Tensor(shape: [channels], on: backend!), Tensor(shape: [channels], on: backend!))
            batchStatisticsTensors = t
            t.mean.fill(0); t.variance.fill(0)
            op!.forwardTraining(x: x, gamma: weight.value, beta: bias.value, y: output!,
                                runningMean: t.mean, runningVariance: t.variance, momentum: 1, synchronization: synchronization)
            lastBatchStatistics = (t.mean.toArray(), t.variance.toArray(), x.shape[0] * x.shape[2] * x.shape[3])
        case .training:
            op!.forwardTraining(x: x, gamma: weight.value, beta: bias.value, y: output!,
                                runningMean: runningMean.value, runningVariance: runningVariance.value, momentum: momentum,
                                synchronization: synchronization)
            batchesTracked += 1
        case .inference:
            op!.forwardInference(x: x, gamma: weight.value, beta: bias.value, y: output!,
                                 runningMean: runningMean.value, runningVariance: runningVariance.value)
        }
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        if inputGradient?.shape != input!.shape { inputGradient = inputGradientTensor(inputGradient, shape: input!.shape, layout: .nhwc, on: backend!) }
        op!.backward(x: input!, gamma: weight.value, beta: bias.value, dy: dy, dx: inputGradient!,
                     dgamma: weight.gradient, dbeta: bias.gradient, synchronization: synchronization)
        return inputGradient
    }
}
