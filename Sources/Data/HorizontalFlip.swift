import Support

extension FloatImage {
    /// The mirror image (left ↔ right).
    public func flippedHorizontally() -> FloatImage {
        var out = pixels
        let c = channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * width * c
                    for x in 0..<width {
                        let s = row + (width - 1 - x) * c, d = row + x * c
                        for ch in 0..<c { dst[d + ch] = src[s + ch] }
                    }
                }
            }
        }
        return FloatImage(width: width, height: height, channels: c, pixels: out)
    }
}

/// Mirrors the image left–right with probability `probability` (one uniform draw per image).
public struct RandomHorizontalFlip: ImageTransform {
    public var probability: Double

    public init(probability: Double = 0.5) { self.probability = probability }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        rng.nextUnit() < probability ? image.flippedHorizontally() : image
    }
}
