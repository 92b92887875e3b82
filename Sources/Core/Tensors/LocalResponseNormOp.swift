/// Local response normalisation across channels planned for one NHWC shape.
public protocol LocalResponseNormOp: AnyObject {
    var parameters: LocalResponseNormParameters { get }
    func forward(x: Tensor, y: Tensor)
    /// dx (overwritten) from the forward's input `x` and the output gradient.
    func backward(x: Tensor, dy: Tensor, dx: Tensor)
}
