import Tensors

/// Inverted dropout: in training, zeroes each element with probability `p` and scales the
/// rest by 1/(1−p); in inference, the identity.
///
/// Masks are a pure function of (seed, this layer's stream, optimizer step, global sample
/// index) (see `DropoutKey`): a resumed run, another backend, or the same global batch
/// split over several processes draws exactly the same masks, with no generator state to save.
public final class Dropout: Layer {
    public let probability: Float
    /// The run's seed and this layer's stream among the network's dropout layers.
    public let seed: UInt64
    public let stream: UInt64
    public var kind: String { "dropout" }
    private var op: (any DropoutOp)?
    private var output: Tensor?
    private var lastWasTraining = false

    public init(probability: Float = 0.5, seed: UInt64 = 0, stream: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1)")
        self.probability = probability
        self.seed = seed
        self.stream = stream
    }

    public func outputShape(for input: [Int]) throws -> [Int] { input }

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        op = try backend.makeDropout(shape: inputShape, probability: probability)
        output = Tensor.reusing(output, shape: inputShape, on: backend)
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        guard context.mode == .training, probability > 0 else { lastWasTraining = false; return x }
        lastWasTraining = true
        op!.forward(x: x, y: output!, key: DropoutKey(seed: seed, stream: stream, step: context.step, firstSample: context.firstSample))
        return output!
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard lastWasTraining else { return dy }
        op!.backward(gradient: dy)
        return dy
    }
}
