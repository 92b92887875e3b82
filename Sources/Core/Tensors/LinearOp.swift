/// A fully connected layer `y = x Wᵀ + b` planned for one batch size, PyTorch's weight
/// layout `[out, in]`, row-major `[N, in]` inputs and `[N, out]` outputs.
public protocol LinearOp: AnyObject {
    var batch: Int { get }
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    var propagateDown: Bool { get }
    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor)
    /// dweight = dyᵀx, dbias = Σ dy (overwritten) and, with `propagateDown`, dx = dy·W.
    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor)
}
