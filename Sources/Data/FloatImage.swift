import Foundation

/// A floating-point image in HWC order, the working format of the transforms.
/// Values produced from a `DecodedImage` are scaled by 1/255 into [0, 1]; statistics,
/// mean subtraction and colour shifts all use that scale.
public struct FloatImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(pixels.count == width * height * channels,
                     "FloatImage: \(pixels.count) values for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, fill: Float) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [Float](repeating: fill, count: width * height * channels))
    }

    /// Converts bytes to floats with `scale` (default 1/255).
    public init(_ image: DecodedImage, scale: Float = 1.0 / 255.0) {
        var out = [Float](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count { dst[i] = Float(src[i]) * scale }
            }
        }
        self.init(width: image.width, height: image.height, channels: image.channels, pixels: out)
    }

    public subscript(y: Int, x: Int, c: Int) -> Float {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// Writes the image in CHW (planar) order to `destination`, multiplying by `scale`.
    public func writeCHW(to destination: UnsafeMutablePointer<Float>, scale: Float = 1) {
        let plane = width * height
        let c = channels
        pixels.withUnsafeBufferPointer { src in
            for ch in 0..<c {
                let dst = destination + ch * plane
                var s = ch
                if scale == 1 {
                    for i in 0..<plane { dst[i] = src[s]; s += c }
                } else {
                    for i in 0..<plane { dst[i] = src[s] * scale; s += c }
                }
            }
        }
    }

    /// The image in CHW order as an array.
    public func chw() -> [Float] {
        var out = [Float](repeating: 0, count: pixels.count)
        out.withUnsafeMutableBufferPointer { writeCHW(to: $0.baseAddress!) }
        return out
    }
}
