/// A small source image (1 or 3 channels, values meant to lie in [0, 1]) that can be
/// drawn into a plot, e.g. a network input shown in a prediction grid.
///
/// Values are stored interleaved (HWC) after conversion; values outside [0, 1] are
/// clamped when sampled and NaN samples draw as black.
public struct PixelImage: Sendable {
    /// How the channel values of the source array are ordered.
    public enum Layout: Sendable {
        /// Channel planes one after another: `[c][y][x]` (what tensors use).
        case chw
        /// Interleaved pixels: `[y][x][c]` (what image files use).
        case hwc
    }

    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// 1 (grayscale) or 3 (RGB).
    public let channels: Int
    /// `height * width * channels` values, HWC order, nominally in [0, 1].
    public let values: [Float]

    /// Wraps float values already in [0, 1] (CHW, as tensors store them, unless told).
    public init(width: Int, height: Int, channels: Int, values: [Float], layout: Layout = .chw) {
        self.init(width: width, height: height, channels: channels, values: values, layout: layout,
                  mean: [], std: [], maxValue: 1)
    }

    /// Wraps float values after undoing a normalisation:
    /// `shown = (v * std[c] + mean[c]) / maxValue`.
    ///
    /// `mean` and `std` may be empty (0 and 1), have one entry (all channels) or one
    /// entry per channel. Use `maxValue: 255` for data in the 0...255 range, as in the
    /// paper's "subtract the mean RGB value" preprocessing.
    public init(width: Int, height: Int, channels: Int, values: [Float], layout: Layout = .chw,
                mean: [Float], std: [Float] = [], maxValue: Float = 1) {
        precondition(width > 0 && height > 0, "PixelImage: size must be positive")
        precondition(channels == 1 || channels == 3, "PixelImage: channels must be 1 or 3, got \(channels)")
        precondition(values.count == width * height * channels,
                     "PixelImage: \(values.count) values for \(channels)x\(height)x\(width)")
        precondition(mean.count <= 1 || mean.count == channels, "PixelImage: mean needs 1 or \(channels) entries")
        precondition(std.count <= 1 || std.count == channels, "PixelImage: std needs 1 or \(channels) entries")
        self.width = width
        self.height = height
        self.channels = channels
        let plane = width * height
        var out = [Float](repeating: 0, count: values.count)
        for c in 0..<channels {
            let m: Float = mean.isEmpty ? 0 : mean[mean.count == 1 ? 0 : c]
            let s: Float = std.isEmpty ? 1 : std[std.count == 1 ? 0 : c]
            for i in 0..<plane {
                let v = layout == .chw ? values[c * plane + i] : values[i * channels + c]
                out[i * channels + c] = (v * s + m) / maxValue
            }
        }
        self.values = out
    }

    /// Wraps 8-bit values (0...255).
    public init(width: Int, height: Int, channels: Int, bytes: [UInt8], layout: Layout = .hwc) {
        self.init(width: width, height: height, channels: channels, values: bytes.map { Float($0) },
                  layout: layout, mean: [], std: [], maxValue: 255)
    }

    /// The colour of pixel (`x`, `y`), clamped to [0, 1] per channel.
    public func color(x: Int, y: Int) -> Color {
        let i = (y * width + x) * channels
        if channels == 1 {
            let v = Color.byte(Double(values[i]))
            return Color(v, v, v)
        }
        return Color(Color.byte(Double(values[i])), Color.byte(Double(values[i + 1])),
                     Color.byte(Double(values[i + 2])))
    }
}
