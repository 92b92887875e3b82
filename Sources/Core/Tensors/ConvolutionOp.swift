/// A convolution planned for one geometry: activations channels-last (NHWC), weights in
/// PyTorch's OIHW order, one bias per output channel.
public protocol ConvolutionOp: AnyObject {
    var geometry: ConvolutionGeometry { get }
    /// False: `backward` computes no input gradient (Caffe's `propagate_down`, for a first layer).
    var propagateDown: Bool { get }
    /// Whether the op runs a Winograd algorithm (`vgg bench` marks such layers).
    var usesWinograd: Bool { get }
    /// Names of the implementations in use (forward, backward data, backward weights).
    var implementations: [String] { get }

    /// y = conv(x, weight) + bias.
    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor)
    /// dweight and dbias (overwritten) and, when planned with `propagateDown`, dx (overwritten).
    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor)
}
