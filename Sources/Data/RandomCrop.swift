import Support

extension FloatImage {
    /// The `width × height` region whose top-left corner is (`x`, `y`).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> FloatImage {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height, "crop out of bounds")
        if x == 0 && y == 0 && w == width && h == height { return self }
        var out = [Float](repeating: 0, count: w * h * channels)
        let rowLen = w * channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<h {
                    let s = src.baseAddress! + ((y + r) * width + x) * channels
                    (dst.baseAddress! + r * rowLen).update(from: s, count: rowLen)
                }
            }
        }
        return FloatImage(width: w, height: h, channels: channels, pixels: out)
    }
}

func checkCropFits(_ image: FloatImage, _ w: Int, _ h: Int, _ what: String) throws {
    if image.width < w || image.height < h {
        throw DataError(.invalidArgument,
                        "\(what) of \(w)x\(h) does not fit in a \(image.width)x\(image.height) image (rescale or pad first)")
    }
}

/// A `width × height` crop at a uniformly random position.
public struct RandomCrop: ImageTransform {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
    }

    /// A square crop.
    public init(_ size: Int) { self.init(width: size, height: size) }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        try checkCropFits(image, width, height, "random crop")
        let x = rng.nextInt(below: image.width - width + 1)
        let y = rng.nextInt(below: image.height - height + 1)
        return image.cropped(x: x, y: y, width: width, height: height)
    }
}

