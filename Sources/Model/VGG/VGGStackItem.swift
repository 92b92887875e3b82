/// One item of a configuration's convolutional stack (Table 1).
public enum VGGStackItem: Equatable, Sendable {
    /// A convolution with `channels` outputs and a `kernel`×`kernel` receptive field (3 or 1).
    case conv(channels: Int, kernel: Int)
    /// Local response normalisation (A-LRN only).
    case lrn
    /// 2×2 max pooling, stride 2.
    case maxPool
}
