/// Max pooling planned for one geometry (NHWC). Windows reach over padding as −∞; on ties
/// the first maximum in the window (row-major) wins, as in PyTorch.
///
/// NaN: in PyTorch a NaN wins its window; so it does in the `reference` backend and the
/// `cpu` backend's 2×2 stride-2 kernel, but oneDNN's pooling (the `cpu` backend's for other
/// windows, and on CPUs without AVX2) skips NaN. Results for inputs with NaN may therefore
/// differ between backends; a NaN activation means training has diverged already, which the
/// trainer detects from the loss.
public protocol MaxPoolingOp: AnyObject {
    var geometry: PoolingGeometry { get }
    /// y = max over each window; remembers the winners for `backward`.
    func forward(x: Tensor, y: Tensor)
    /// dx (overwritten): each dy routed to its window's winner, zero elsewhere.
    func backward(dy: Tensor, dx: Tensor)
}
