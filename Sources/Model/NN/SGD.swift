import Tensors

/// Stochastic gradient descent with momentum, weight decay and an optional Nesterov
/// variant, with PyTorch's exact update (see `SGDUpdate`), scaled per parameter by its
/// learning-rate and weight-decay multipliers. The momentum buffers live in one flat
/// buffer laid out like the parameter store; the update is one backend op.
public final class SGD {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var dampening: Float
    public var nesterov: Bool
    public let store: ParameterStore
    /// Momentum buffers, one flat tensor laid out like the parameter store.
    public let momentumBuffer: Tensor
    /// Number of steps taken (the first initialises the momentum buffer).
    public var steps: Int = 0

    public init(store: ParameterStore, learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 5e-4,
                dampening: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.store = store
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
        self.dampening = dampening; self.nesterov = nesterov
        momentumBuffer = Tensor(shape: [store.count], on: store.backend)
    }

    /// The momentum buffer of one parameter of the store (a view).
    public func momentum(of parameter: Parameter) -> Tensor? {
        store.entries.first { $0.parameter === parameter }.map { momentumBuffer.view(offset: $0.offset, shape: $0.parameter.shape) }
    }

    /// Applies one update from the gradients currently in the store, at `learningRate` and
    /// counting it in `steps`.
    public func step() {
        step(learningRate: learningRate, isFirstStep: steps == 0)
        steps += 1
    }

    /// Applies one update at a learning rate and step position kept by the caller (a
    /// trainer's state), leaving `learningRate` and `steps` alone; the first step
    /// initialises the momentum buffer.
    public func step(learningRate rate: Float, isFirstStep: Bool) {
        let segments = store.entries.filter { $0.parameter.isTrainable }.map { p, offset in
            SGDUpdate.Segment(offset: offset, count: p.count, learningRate: rate * p.learningRateMultiplier,
                              weightDecay: weightDecay * p.weightDecayMultiplier)
        }
        store.backend.sgdUpdate(SGDUpdate(values: store.values, gradients: store.gradients, momentumBuffer: momentumBuffer,
                                          segments: segments, momentum: momentum, dampening: dampening, nesterov: nesterov,
                                          isFirstStep: isFirstStep))
    }
}
