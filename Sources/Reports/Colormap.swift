/// A mapping from a scalar in [0, 1] to a colour, for heatmaps and colour bars.
public enum Colormap: Sendable {
    /// Perceptually uniform dark purple → teal → yellow (matplotlib's viridis, sampled).
    case viridis
    /// White at 0 to a deep blue at 1; zero cells disappear into the background.
    case whiteToBlue
    /// Black at 0 to white at 1.
    case gray

    /// The colour for `t`; values outside [0, 1] are clamped and NaN maps to 0.
    public func color(at t: Double) -> Color {
        let t = t.isNaN ? 0 : max(0, min(1, t))
        let stops: [Color]
        switch self {
        case .viridis: stops = Colormap.viridisStops
        case .whiteToBlue: stops = Colormap.bluesStops
        case .gray: return Color(gray: t)
        }
        let pos = t * Double(stops.count - 1)
        let i = min(Int(pos), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], pos - Double(i))
    }

    /// Viridis at 0, 1/8, ..., 1.
    static let viridisStops: [Color] = [
        Color(hex: 0x440154), Color(hex: 0x46327E), Color(hex: 0x365C8D), Color(hex: 0x277F8E),
        Color(hex: 0x1FA187), Color(hex: 0x4AC16D), Color(hex: 0x9FDA3A), Color(hex: 0xD2E21B),
        Color(hex: 0xFDE725),
    ]

    /// matplotlib "Blues" at 0, 1/8, ..., 1, starting from pure white.
    static let bluesStops: [Color] = [
        Color(hex: 0xFFFFFF), Color(hex: 0xDEEBF7), Color(hex: 0xC6DBEF), Color(hex: 0x9ECAE1),
        Color(hex: 0x6BAED6), Color(hex: 0x4292C6), Color(hex: 0x2171B5), Color(hex: 0x08519C),
        Color(hex: 0x08306B),
    ]
}
