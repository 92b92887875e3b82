import Support

/// A sequence of transforms applied to a decoded image: bytes are first converted to floats
/// scaled by `inputScale` (1/255, giving [0, 1]), then each transform runs in order.
/// The loader writes the result in CHW order into the batch.
public struct TransformPipeline: Sendable {
    public var transforms: [any ImageTransform]
    public var inputScale: Float

    public init(_ transforms: [any ImageTransform] = [], inputScale: Float = 1.0 / 255.0) {
        self.transforms = transforms
        self.inputScale = inputScale
    }

    /// Applies the pipeline with randomness from `rng`.
    public func apply<R: RandomNumberGenerator>(_ image: DecodedImage, using rng: inout R) throws -> FloatImage {
        var x = FloatImage(image, scale: inputScale)
        for t in transforms { x = try t.apply(x, using: &rng) }
        return x
    }

    /// Applies the pipeline with the generator of sample `position` of `epoch` — exactly
    /// what the loader does.
    public func apply(_ image: DecodedImage, seed: UInt64, epoch: Int, position: Int) throws -> FloatImage {
        var rng = Xoshiro256(seed: seed, epoch: epoch, position: position)
        return try apply(image, using: &rng)
    }

    /// A new pipeline with `transform` appended.
    public func appending(_ transform: any ImageTransform) -> TransformPipeline {
        var p = self
        p.transforms.append(transform)
        return p
    }

    /// VGG training preprocessing (Simonyan & Zisserman, §3.1): isotropic rescale with S in
    /// `scales` (fixed if the range has one value), random `crop × crop` crop, random
    /// horizontal flip, optional RGB colour shift, mean subtraction.
    public static func vggTraining(scales: ClosedRange<Int>, crop: Int = 224, mean: [Float],
                                   colorShift: PCAColorShift? = nil) -> TransformPipeline {
        var t: [any ImageTransform] = [RescaleSmallestSide(range: scales), RandomCrop(crop), RandomHorizontalFlip()]
        if let colorShift { t.append(colorShift) }
        t.append(Normalize(mean: mean))
        return TransformPipeline(t)
    }

    /// Single-crop evaluation: rescale the smallest side to `scale` (Q), centre crop, mean subtraction.
    public static func vggEvaluation(scale: Int, crop: Int = 224, mean: [Float]) -> TransformPipeline {
        TransformPipeline([RescaleSmallestSide(scale), CenterCrop(crop), Normalize(mean: mean)])
    }
}
