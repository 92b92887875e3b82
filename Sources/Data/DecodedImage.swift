/// An 8-bit image as it comes out of a decoder or a dataset: `height × width × channels`
/// bytes in HWC (interleaved) order. `channels` is 1 (gray), 3 (RGB) or 4 (RGBA).
public struct DecodedImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && channels > 0)
        precondition(pixels.count == width * height * channels,
                     "DecodedImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A constant image.
    public init(width: Int, height: Int, channels: Int, fill: UInt8) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: width * height * channels))
    }

    /// The byte at row `y`, column `x`, channel `c`.
    public subscript(y: Int, x: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// The same image with 3 channels: gray is replicated, alpha is dropped.
    public func rgb() -> DecodedImage {
        switch channels {
        case 3: return self
        case 1:
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                let v = pixels[i]
                out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
            }
            return DecodedImage(width: width, height: height, channels: 3, pixels: out)
        case 2, 4:
            var out = [UInt8](repeating: 0, count: width * height * 3)
            let colour = channels == 4
            for i in 0..<(width * height) {
                if colour {
                    out[3 * i] = pixels[4 * i]; out[3 * i + 1] = pixels[4 * i + 1]; out[3 * i + 2] = pixels[4 * i + 2]
                } else {
                    let v = pixels[2 * i]
                    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                }
            }
            return DecodedImage(width: width, height: height, channels: 3, pixels: out)
        default:
            preconditionFailure("rgb(): unsupported channel count \(channels)")
        }
    }
}

