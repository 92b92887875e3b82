/// An opaque 8-bit sRGB colour.
public struct Color: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Red, 0...255.
    public var r: UInt8
    /// Green, 0...255.
    public var g: UInt8
    /// Blue, 0...255.
    public var b: UInt8

    /// A colour from its three components.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    /// A colour from a 24-bit `0xRRGGBB` literal.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    /// A colour from components in [0, 1] (clamped; NaN becomes 0).
    public init(red: Double, green: Double, blue: Double) {
        self.init(Color.byte(red), Color.byte(green), Color.byte(blue))
    }

    /// A gray level from a value in [0, 1] (clamped; NaN becomes 0).
    public init(gray: Double) {
        let v = Color.byte(gray)
        self.init(v, v, v)
    }

    static func byte(_ v: Double) -> UInt8 {
        guard v.isFinite else { return v == .infinity ? 255 : 0 }
        return UInt8(max(0, min(255, (v * 255).rounded())))
    }

    /// Linear interpolation towards `other`; `t` is clamped to [0, 1].
    public func mixed(with other: Color, _ t: Double) -> Color {
        let t = t.isFinite ? max(0, min(1, t)) : 0
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded())
        }
        return Color(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    /// Relative luminance in [0, 1] (Rec. 709 weights on the 8-bit values); used to pick
    /// black or white text over a coloured cell.
    public var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }

    /// Black or white, whichever reads better on top of this colour.
    public var contrastingText: Color { luminance > 0.5 ? .black : .white }

    public var description: String {
        let hex = (UInt32(r) << 16) | (UInt32(g) << 8) | UInt32(b)
        let s = String(hex, radix: 16)
        return "#" + String(repeating: "0", count: 6 - s.count) + s
    }

    public static let white = Color(255, 255, 255)
    public static let black = Color(0, 0, 0)
    public static let red = Color(214, 39, 40)
    public static let green = Color(44, 160, 44)
    public static let blue = Color(31, 119, 180)
    public static let orange = Color(255, 127, 14)
    public static let gray = Color(128, 128, 128)
    public static let lightGray = Color(220, 220, 220)
    public static let darkGray = Color(64, 64, 64)

    /// A ten-colour qualitative palette (matplotlib's "tab10") for series.
    public static let palette: [Color] = [
        Color(hex: 0x1F77B4), Color(hex: 0xFF7F0E), Color(hex: 0x2CA02C), Color(hex: 0xD62728),
        Color(hex: 0x9467BD), Color(hex: 0x8C564B), Color(hex: 0xE377C2), Color(hex: 0x7F7F7F),
        Color(hex: 0xBCBD22), Color(hex: 0x17BECF),
    ]
}

