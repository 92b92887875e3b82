import Support

/// A `width × height` crop at the centre (offsets rounded down).
public struct CenterCrop: ImageTransform {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
    }

    public init(_ size: Int) { self.init(width: size, height: size) }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        try checkCropFits(image, width, height, "centre crop")
        return image.cropped(x: (image.width - width) / 2, y: (image.height - height) / 2, width: width, height: height)
    }
}
