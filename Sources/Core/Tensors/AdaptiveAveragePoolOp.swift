/// Average pooling of an NHWC input to a fixed output size with PyTorch's bins: output row
/// i averages input rows `floor(i·H/out) ..< ceil((i+1)·H/out)` (likewise columns).
public protocol AdaptiveAveragePoolOp: AnyObject {
    var inputShape: [Int] { get }
    var outHeight: Int { get }
    var outWidth: Int { get }
    func forward(x: Tensor, y: Tensor)
    /// dx (overwritten).
    func backward(dy: Tensor, dx: Tensor)
}
