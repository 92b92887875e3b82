import Tensors

/// Rectified linear unit, computed in place on its input (the output is the input tensor)
/// and, in backward, in place on the incoming gradient.
public final class ReLU: Layer {
    public var kind: String { "relu" }
    private var op: (any ReLUOp)?
    private var output: Tensor?

    public init() {}
    public func outputShape(for input: [Int]) throws -> [Int] { input }

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        let n = inputShape.reduce(1, *)
        if op?.count != n { op = try backend.makeReLU(count: n) }
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        op!.forward(x)
        output = x
        return x
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        op!.backward(output: output!, gradient: dy)
        return dy
    }
}
