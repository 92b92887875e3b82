/// One step of an augmentation/preprocessing pipeline, a small value type. Random
/// transforms draw from the generator they are given (never from a global one), so a
/// sample's augmentation is a pure function of the generator's seed.
public protocol ImageTransform: Sendable {
    /// Transforms `image`; `rng` supplies any randomness.
    func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage
}
