import Tensors

/// A network layer with explicit forward and backward passes over preallocated buffers,
/// written against the `Backend` protocol (it never touches tensor elements itself).
///
/// Four-dimensional activations are `[N, C, H, W]` logically and channels-last (NHWC)
/// in memory. A layer is first `prepare`d for an input shape on a backend (ops planned,
/// output and gradient buffers allocated once); then `forward` and `backward` reuse them
/// every step.
public protocol Layer: AnyObject {
    /// Short description, e.g. `conv3-64`, `maxpool`, `FC-4096`.
    var kind: String { get }
    /// The output shape for an input shape, or an error when the shape cannot work.
    func outputShape(for input: [Int]) throws -> [Int]
    /// Forward FLOPs (2 × multiply-adds) for one batch of the given input shape.
    func forwardFLOPs(for input: [Int]) -> Double
    /// Learnable parameters, in a fixed order.
    var parameters: [Parameter] { get }
    /// Non-learnable state saved with the model (running statistics).
    var buffers: [Parameter] { get }
    /// Plans ops and allocates buffers on `backend` for this input shape. When
    /// `propagateDown` is false the layer need not compute the gradient with respect to its input.
    func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws
    /// Computes the output; the returned tensor is owned by the layer (or is `x` itself).
    func forward(_ x: Tensor, _ context: PassContext) -> Tensor
    /// Given the gradient of the loss with respect to the output, writes parameter gradients
    /// and returns the gradient with respect to the input (nil without `propagateDown`).
    func backward(_ dy: Tensor) -> Tensor?
}

extension Layer {
    public var buffers: [Parameter] { [] }
    public var parameters: [Parameter] { [] }
    public func forwardFLOPs(for input: [Int]) -> Double { 0 }
    /// Number of learnable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Gives every parameter and buffer not yet in a network its own memory on `backend`
    /// (a layer used on its own; in a `Sequential` they live in its flat buffers).
    func materializeParameters(on backend: any Backend) {
        for p in parameters + buffers where !p.isBound { p.materialize(on: backend) }
    }
}

func requireRank(_ shape: [Int], _ rank: Int, _ layer: String) throws {
    guard shape.count == rank else {
        throw ShapeError("\(layer) expects a rank-\(rank) input, got \(shape)")
    }
}
