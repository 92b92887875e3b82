import Kernels

/// Whether a forward pass trains (batch statistics, dropout on) or infers.
public enum Mode: Sendable {
    case training
    case inference
}

/// An error in building or planning a network: a shape that cannot work, a bad argument.
public struct ShapeError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A network layer with explicit forward and backward passes over preallocated buffers.
///
/// Four-dimensional activations are `[N, C, H, W]` logically and channels-last (NHWC)
/// in memory. A layer is first `prepare`d for an input shape (kernels planned, output and
/// gradient buffers allocated once); then `forward` and `backward` reuse them every step.
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
    /// Plans kernels and allocates buffers for this input shape. When `propagateDown` is false
    /// the layer need not compute the gradient with respect to its input.
    func prepare(inputShape: [Int], propagateDown: Bool) throws
    /// Computes the output; the returned tensor is owned by the layer (or is `x` itself).
    func forward(_ x: Tensor, mode: Mode) -> Tensor
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
}

func requireRank(_ shape: [Int], _ rank: Int, _ layer: String) throws {
    guard shape.count == rank else {
        throw ShapeError("\(layer) expects a rank-\(rank) input, got \(shape)")
    }
}
