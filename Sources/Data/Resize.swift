/// Resizes to a fixed `width × height` (aspect ratio not preserved) with bilinear
/// interpolation, antialiased when shrinking.
public struct Resize: ImageTransform {
    public var width: Int
    public var height: Int
    public var antialias: Bool

    public init(width: Int, height: Int, antialias: Bool = true) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
        self.antialias = antialias
    }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        if image.width == width && image.height == height { return image }
        return Resampling.resize(image, width: width, height: height, antialias: antialias)
    }
}
