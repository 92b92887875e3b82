import Foundation
import Support

/// Random brightness, contrast, saturation and hue, with torchvision's `ColorJitter`
/// definitions, on images in the [0, 1] working scale (before normalisation): per image,
/// factors b ∈ [max(0, 1 − B), 1 + B], c ∈ [max(0, 1 − C), 1 + C], s ∈ [max(0, 1 − S), 1 + S]
/// and a hue shift h ∈ [−H, H] are drawn, and the four adjustments (those asked for) applied
/// in a random order:
///
/// - brightness: `clamp(b · x)`;
/// - contrast: `clamp(c · x + (1 − c) · m)`, m the mean of the image's grey levels;
/// - saturation: `clamp(s · x + (1 − s) · grey(x))` per pixel;
/// - hue: the pixel's hue in HSV shifted by h (mod 1).
///
/// Grey is 0.2989 R + 0.587 G + 0.114 B; saturation and hue leave one-channel images as they
/// are, as torchvision does.
public struct ColorJitter: ImageTransform, Equatable, Codable {
    public var brightness, contrast, saturation, hue: Double

    public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0) {
        precondition(brightness >= 0 && contrast >= 0 && saturation >= 0 && (0...0.5).contains(hue),
                     "colour jitter: brightness, contrast, saturation ≥ 0 and hue in [0, 0.5]")
        self.brightness = brightness; self.contrast = contrast; self.saturation = saturation; self.hue = hue
    }

    /// From 1–4 values `B,C,S,H` (missing ones 0), as `--color-jitter` takes them.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = try parts.map { p -> Double in
            guard let v = Double(p), v.isFinite else { throw DataError(.invalidArgument, "colour jitter '\(text)': '\(p)' is not a number") }
            return v
        }
        guard (1...4).contains(values.count) else {
            throw DataError(.invalidArgument, "colour jitter '\(text)': give brightness,contrast,saturation,hue (1 to 4 numbers)")
        }
        let v = values + Array(repeating: 0, count: 4 - values.count)
        guard v[0] >= 0, v[1] >= 0, v[2] >= 0, (0...0.5).contains(v[3]) else {
            throw DataError(.invalidArgument, "colour jitter '\(text)': brightness, contrast and saturation must be ≥ 0, hue in [0, 0.5]")
        }
        self.init(brightness: v[0], contrast: v[1], saturation: v[2], hue: v[3])
    }

    /// The values as `--color-jitter` takes them.
    public var text: String { [brightness, contrast, saturation, hue].map { String($0) }.joined(separator: ",") }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        // torchvision's order of draws: the permutation, then each factor asked for.
        var order = [0, 1, 2, 3]
        for i in stride(from: 3, to: 0, by: -1) { order.swapAt(i, Int(rng.nextUnit() * Double(i + 1))) }
        func factor(_ range: Double) -> Double? {
            range > 0 ? max(0, 1 - range) + rng.nextUnit() * (1 + range - max(0, 1 - range)) : nil
        }
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let h: Double? = hue > 0 ? -hue + rng.nextUnit() * 2 * hue : nil
        var out = image
        for step in order {
            switch step {
            case 0: if let b { out = Self.adjustBrightness(out, b) }
            case 1: if let c { out = Self.adjustContrast(out, c) }
            case 2: if let s { out = Self.adjustSaturation(out, s) }
            default: if let h { out = Self.adjustHue(out, h) }
            }
        }
        return out
    }

    private static func clamp(_ v: Float) -> Float { min(max(v, 0), 1) }

    private static func grey(_ p: UnsafeBufferPointer<Float>, _ i: Int) -> Float {
        0.2989 * p[i] + 0.587 * p[i + 1] + 0.114 * p[i + 2]
    }

    /// `clamp(factor · x)`.
    public static func adjustBrightness(_ image: FloatImage, _ factor: Double) -> FloatImage {
        var out = image
        let f = Float(factor)
        for i in out.pixels.indices { out.pixels[i] = clamp(out.pixels[i] * f) }
        return out
    }

    /// `clamp(factor · x + (1 − factor) · mean grey level)`.
    public static func adjustContrast(_ image: FloatImage, _ factor: Double) -> FloatImage {
        let c = image.channels, n = image.width * image.height
        guard n > 0 else { return image }
        var total = 0.0
        image.pixels.withUnsafeBufferPointer { p in
            for k in 0..<n { total += Double(c == 3 ? grey(p, k * 3) : p[k * c]) }
        }
        let mean = Float(total / Double(n)), f = Float(factor)
        var out = image
        for i in out.pixels.indices { out.pixels[i] = clamp(f * out.pixels[i] + (1 - f) * mean) }
        return out
    }

    /// `clamp(factor · x + (1 − factor) · grey(x))` per pixel (RGB only).
    public static func adjustSaturation(_ image: FloatImage, _ factor: Double) -> FloatImage {
        guard image.channels == 3 else { return image }
        var out = image
        let f = Float(factor)
        image.pixels.withUnsafeBufferPointer { p in
            for k in 0..<(image.width * image.height) {
                let g = grey(p, 3 * k)
                for ch in 0..<3 { out.pixels[3 * k + ch] = clamp(f * p[3 * k + ch] + (1 - f) * g) }
            }
        }
        return out
    }

    /// Every pixel's hue shifted by `shift` (a fraction of the colour circle), through HSV as
    /// torchvision converts it (RGB only).
    public static func adjustHue(_ image: FloatImage, _ shift: Double) -> FloatImage {
        guard image.channels == 3 else { return image }
        var out = image
        let dh = Float(shift)
        for k in 0..<(image.width * image.height) {
            let (r, g, b) = (image.pixels[3 * k], image.pixels[3 * k + 1], image.pixels[3 * k + 2])
            var (h, s, v) = hsv(r, g, b)
            h = (h + dh).truncatingRemainder(dividingBy: 1)
            if h < 0 { h += 1 }
            let (r2, g2, b2) = rgb(h, s, v)
            out.pixels[3 * k] = r2; out.pixels[3 * k + 1] = g2; out.pixels[3 * k + 2] = b2
        }
        return out
    }

    /// torchvision's `_rgb2hsv` for one pixel: hue in [0, 1).
    static func hsv(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
        let maxc = max(r, g, b), minc = min(r, g, b)
        let equal = maxc == minc
        let cr = maxc - minc
        let s = cr / (equal ? 1 : maxc)
        let d = equal ? 1 : cr
        let rc = (maxc - r) / d, gc = (maxc - g) / d, bc = (maxc - b) / d
        var h: Float
        if maxc == r { h = bc - gc } else if maxc == g { h = 2 + rc - bc } else { h = 4 + gc - rc }
        h = (h / 6 + 1).truncatingRemainder(dividingBy: 1)
        return (h, s, maxc)
    }

    /// torchvision's `_hsv2rgb` for one pixel.
    static func rgb(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
        let i6 = (h * 6).rounded(.down)
        let f = h * 6 - i6
        let i = (Int(i6) % 6 + 6) % 6
        let p = clamp(v * (1 - s)), q = clamp(v * (1 - s * f)), t = clamp(v * (1 - s * (1 - f)))
        switch i {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
