import Support

/// Isotropic rescaling so that the smallest side equals S (the paper's "training scale").
/// S is fixed, or drawn uniformly from `[Smin, Smax]` per image (scale jittering).
/// The other side is `round(side × S / smallest)`.
public struct RescaleSmallestSide: ImageTransform {
    public var sizes: ClosedRange<Int>
    public var antialias: Bool

    /// Fixed S.
    public init(_ size: Int, antialias: Bool = true) {
        precondition(size > 0)
        sizes = size...size
        self.antialias = antialias
    }

    /// S uniform in `range` (e.g. 256...512).
    public init(range: ClosedRange<Int>, antialias: Bool = true) {
        precondition(range.lowerBound > 0)
        sizes = range
        self.antialias = antialias
    }

    /// The output size for an input of `width × height` and smallest side `s`.
    public static func targetSize(width: Int, height: Int, smallest s: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (s, Swift.max(1, Int((Double(height) * Double(s) / Double(width)).rounded())))
        } else {
            return (Swift.max(1, Int((Double(width) * Double(s) / Double(height)).rounded())), s)
        }
    }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        let s = sizes.lowerBound == sizes.upperBound ? sizes.lowerBound : rng.nextInt(in: sizes)
        let t = RescaleSmallestSide.targetSize(width: image.width, height: image.height, smallest: s)
        if t.width == image.width && t.height == image.height { return image }
        return Resampling.resize(image, width: t.width, height: t.height, antialias: antialias)
    }
}
