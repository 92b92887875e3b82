/// The shape of a 2-D pooling: batch, channels, spatial size, square window, stride, padding.
public struct PoolingGeometry: Equatable, Hashable, Sendable {
    public var batch, channels, height, width, kernel, stride, padding: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int = 0) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
}
