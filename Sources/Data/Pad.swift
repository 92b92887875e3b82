/// Pads each side with a constant (0 by default; per-channel values allowed), e.g. 28×28
/// Fashion-MNIST to 32×32 with `Pad(2)`.
public struct Pad: ImageTransform {
    public var top: Int, left: Int, bottom: Int, right: Int
    /// One value for all channels, or one per channel (in the [0, 1] working scale).
    public var value: [Float]

    public init(top: Int, left: Int, bottom: Int, right: Int, value: [Float] = [0]) {
        precondition(top >= 0 && left >= 0 && bottom >= 0 && right >= 0 && !value.isEmpty)
        self.top = top; self.left = left; self.bottom = bottom; self.right = right
        self.value = value
    }

    /// The same padding on all four sides.
    public init(_ amount: Int, value: Float = 0) {
        self.init(top: amount, left: amount, bottom: amount, right: amount, value: [value])
    }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        let c = image.channels
        guard value.count == 1 || value.count == c else {
            throw DataError(.invalidArgument, "Pad: \(value.count) fill values for a \(c)-channel image")
        }
        let w = image.width + left + right, h = image.height + top + bottom
        var out = [Float](repeating: 0, count: w * h * c)
        if value.count == 1 {
            if value[0] != 0 { for i in 0..<out.count { out[i] = value[0] } }
        } else {
            for i in 0..<(w * h) { for ch in 0..<c { out[i * c + ch] = value[ch] } }
        }
        let rowLen = image.width * c
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<image.height {
                    (dst.baseAddress! + ((y + top) * w + left) * c).update(from: src.baseAddress! + y * rowLen, count: rowLen)
                }
            }
        }
        return FloatImage(width: w, height: h, channels: c, pixels: out)
    }
}
