/// The shape of a 2-D convolution: batch, channels, spatial size, kernel, stride, padding.
public struct ConvolutionGeometry: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelH, kernelW, stride, padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int,
                outChannels: Int, kernelH: Int, kernelW: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Multiply-adds of one forward pass over the batch, times two.
    public var forwardFLOPs: Double {
        2.0 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels * kernelH * kernelW)
    }

    public var description: String {
        "conv \(inChannels)→\(outChannels) \(kernelH)×\(kernelW)/\(stride) pad \(padding) on \(batch)×\(height)×\(width)"
    }
}
