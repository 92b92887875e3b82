/// Rectified linear unit over a flat buffer of `count` elements, in place.
public protocol ReLUOp: AnyObject {
    var count: Int { get }
    /// x ← max(x, 0)
    func forward(_ x: Tensor)
    /// gradient ← gradient where y > 0, else 0; `y` is the forward's output.
    func backward(output y: Tensor, gradient: Tensor)
}
