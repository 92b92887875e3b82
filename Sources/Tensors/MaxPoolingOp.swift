/// Max pooling planned for one geometry (NHWC). Windows reach over padding as −∞; on ties
/// the first maximum in the window (row-major) wins, and a NaN wins, as in PyTorch.
public protocol MaxPoolingOp: AnyObject {
    var geometry: PoolingGeometry { get }
    /// y = max over each window; remembers the winners for `backward`.
    func forward(x: Tensor, y: Tensor)
    /// dx (overwritten): each dy routed to its window's winner, zero elsewhere.
    func backward(dy: Tensor, dx: Tensor)
}
