import CPNG

/// The one PNG encoder and decoder of the toolkit, on libpng's simplified API (8 bits per
/// channel; any PNG libpng reads: palettes, 16-bit, gray, alpha). Datasets decode images
/// through it (`Data`), reports write and read pictures through it (`Reports`).
public enum PNGCodec {
    /// What libpng reported, or a buffer that does not fit its size.
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        /// The image is larger than the limit it was decoded with (its file may be fine).
        public var tooLarge = false
        public var description: String { reason }
    }

    /// PNG bytes of `pixels`: rows top to bottom, `channels` interleaved 8-bit values per
    /// pixel (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA).
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, width < Int(Int32.max), height < Int(Int32.max) else {
            throw Failure(reason: "size \(width)x\(height) is not positive")
        }
        guard (1...4).contains(channels) else { throw Failure(reason: "cannot encode \(channels) channels") }
        guard pixels.count == width * height * channels else {
            throw Failure(reason: "\(pixels.count) bytes for \(width)x\(height)x\(channels) (expected \(width * height * channels))")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format(channels: channels)
        defer { png_image_free(&image) }
        let stride = png_int_32(width * channels)
        var size: png_alloc_size_t = 0
        let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard sized != 0, size > 0 else { throw Failure(reason: message(of: &image)) }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok != 0 else { throw Failure(reason: message(of: &image)) }
        if Int(size) < out.count { out.removeLast(out.count - Int(size)) }
        return out
    }

    /// A decoded image: `channels` interleaved 8-bit values per pixel.
    public struct Image: Sendable {
        public let width, height, channels: Int
        public let pixels: [UInt8]
    }

    /// Decodes to RGB (3 channels) or, when the file has transparency and no `background` is
    /// given, RGBA (4). With a background, transparent pixels are composited onto it.
    /// Images of more than `maxPixels` pixels (default 8192×8192) are refused from their
    /// header, before any pixel memory is allocated.
    public static func decode(_ bytes: [UInt8], background: (red: UInt8, green: UInt8, blue: UInt8)? = nil,
                              maxPixels: Int = 1 << 26) throws -> Image {
        guard !bytes.isEmpty else { throw Failure(reason: "empty data") }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw Failure(reason: message(of: &image)) }
        // A 16-bit file without gAMA or sRGB chunk is sRGB-encoded, as in every other reader
        // (PIL, torchvision): libpng's default takes it for linear light and brightens it
        // into sRGB (32768 of 65535 would become 186, not 128).
        image.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let keepsAlpha = background == nil && (image.format & png_uint_32(PNG_FORMAT_FLAG_ALPHA)) != 0
        image.format = format(channels: keepsAlpha ? 4 : 3)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0 else { throw Failure(reason: "empty image \(width)x\(height)") }
        guard width * height <= maxPixels else {
            throw Failure(reason: "image of \(width)x\(height) pixels is larger than the limit of \(maxPixels) pixels", tooLarge: true)
        }
        var pixels = [UInt8](repeating: 0, count: vgg_png_image_size(&image))
        var colour = png_color(red: background?.red ?? 0, green: background?.green ?? 0, blue: background?.blue ?? 0)
        let finished = pixels.withUnsafeMutableBytes { dst in
            background == nil ? png_image_finish_read(&image, nil, dst.baseAddress, 0, nil)
                              : png_image_finish_read(&image, &colour, dst.baseAddress, 0, nil)
        }
        guard finished != 0 else { throw Failure(reason: message(of: &image)) }
        return Image(width: width, height: height, channels: keepsAlpha ? 4 : 3, pixels: pixels)
    }

    private static func format(channels: Int) -> png_uint_32 {
        switch channels {
        case 1: return png_uint_32(PNG_FORMAT_GRAY)
        case 2: return png_uint_32(PNG_FORMAT_GRAY) | png_uint_32(PNG_FORMAT_FLAG_ALPHA)
        case 3: return png_uint_32(PNG_FORMAT_RGB)
        default: return png_uint_32(PNG_FORMAT_RGB) | png_uint_32(PNG_FORMAT_FLAG_ALPHA)
        }
    }

    private static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return text.isEmpty ? "unknown libpng error" : text
    }
}
