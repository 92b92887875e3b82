/// One step of stochastic gradient descent with momentum and weight decay over flat
/// buffers, with PyTorch's update, element by element:
///
///     d ← g + λ·w;  b ← μ·b + (1 − τ)·d  (b ← d on the first step);
///     w ← w − η·(d + μ·b)  (Nesterov)  or  w ← w − η·b
///
/// (with μ = 0: w ← w − η·d, no buffer). η and λ are given per segment of the buffers (a
/// parameter's learning-rate and weight-decay multipliers); elements in no segment are
/// left alone (running statistics).
public struct SGDUpdate {
    /// A run of elements sharing a learning rate and a weight decay.
    public struct Segment: Equatable, Sendable {
        public var offset, count: Int
        public var learningRate, weightDecay: Float
        public init(offset: Int, count: Int, learningRate: Float, weightDecay: Float) {
            self.offset = offset; self.count = count; self.learningRate = learningRate; self.weightDecay = weightDecay
        }
    }

    public var values: Tensor
    public var gradients: Tensor
    public var momentumBuffer: Tensor
    public var segments: [Segment]
    public var momentum: Float
    public var dampening: Float
    public var nesterov: Bool
    /// The first step initialises the momentum buffer with the gradient.
    public var isFirstStep: Bool

    public init(values: Tensor, gradients: Tensor, momentumBuffer: Tensor, segments: [Segment],
                momentum: Float, dampening: Float, nesterov: Bool, isFirstStep: Bool) {
        self.values = values; self.gradients = gradients; self.momentumBuffer = momentumBuffer; self.segments = segments
        self.momentum = momentum; self.dampening = dampening; self.nesterov = nesterov; self.isFirstStep = isFirstStep
    }
}
