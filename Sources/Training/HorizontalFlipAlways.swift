import Data

/// A horizontal flip applied to every image (test-time flip averaging).
public struct HorizontalFlipAlways: ImageTransform {
    public init() {}
    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        image.flippedHorizontally()
    }
}
