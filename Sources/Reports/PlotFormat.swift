/// The file format a plot is written in: PNG (a picture, the default) or SVG (vector
/// graphics whose text stays text: searchable, selectable, scalable).
public enum PlotFormat: String, CaseIterable, Sendable {
    case png
    case svg

    /// The file name extension, without the dot.
    public var fileExtension: String { rawValue }

    /// `name` with this format's extension in place of its own (`curves.png` → `curves.svg`).
    public func fileName(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), !name[dot...].contains("/") else { return name + "." + fileExtension }
        return String(name[..<dot]) + "." + fileExtension
    }
}
