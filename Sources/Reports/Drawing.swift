import CCairo
import Foundation
import Support

/// A rectangle of whole pixels (top-left corner, size) in a rendered plot.
public struct PlotRect: Equatable, Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Whether pixel (`px`, `py`) lies inside.
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }
}

/// A plot failed to render or to be written: the file and why.
public struct PlotError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// One page of a plot drawn with cairo: antialiased shapes and text in DejaVu Sans, ending
/// as PNG bytes (an RGB picture, encoded by `PNGFile`) or as SVG (cairo's vector output, with
/// the text written as SVG `<text>` elements so that it stays searchable and editable).
///
/// Coordinates are pixels from the top-left corner; a text's `y` is the top of its line.
final class Drawing {
    enum Alignment { case left, center, right }

    /// The body text size (pixels) the plots lay out with.
    static let bodySize = 12.0
    /// The size of titles.
    static let titleSize = 17.0
    /// The font family, from Debian's fonts-dejavu-core (cairo falls back to another sans-serif face without it).
    static let family = "DejaVu Sans"

    let width: Int
    let height: Int
    let format: PlotFormat
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    private let sink = ByteSink()
    private var svgText: [String] = []

    init(width: Int, height: Int, format: PlotFormat, background: Color = .white) {
        self.width = max(1, width)
        self.height = max(1, height)
        self.format = format
        switch format {
        case .png:
            surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(self.width), Int32(self.height))
        case .svg:
            surface = cairo_svg_surface_create_for_stream(ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(),
                                                          Double(self.width), Double(self.height))
            cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX)
        }
        cr = cairo_create(surface)
        cairo_select_font_face(cr, Self.family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        setColor(background)
        cairo_paint(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    private func setColor(_ c: Color) {
        cairo_set_source_rgb(cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255)
    }

    // MARK: shapes

    /// Fills the pixels of the box at (`x`, `y`).
    func fillRect(x: Double, y: Double, width w: Double, height h: Double, color: Color) {
        guard w > 0, h > 0 else { return }
        setColor(color)
        cairo_rectangle(cr, x, y, w, h)
        cairo_fill(cr)
    }

    /// Strokes a frame of `lineWidth` pixels just inside the box at (`x`, `y`).
    func strokeRect(x: Double, y: Double, width w: Double, height h: Double, color: Color, lineWidth: Double = 1) {
        guard w > lineWidth, h > lineWidth else { return fillRect(x: x, y: y, width: w, height: h, color: color) }
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, x + lineWidth / 2, y + lineWidth / 2, w - lineWidth, h - lineWidth)
        cairo_stroke(cr)
    }

    /// A straight line between pixel centres (so a 1-pixel horizontal or vertical line is crisp).
    func line(x0: Double, y0: Double, x1: Double, y1: Double, color: Color, lineWidth: Double = 1) {
        polyline([(x0, y0), (x1, y1)], color: color, lineWidth: lineWidth)
    }

    /// Joined line segments through the centres of the pixels `points`.
    func polyline(_ points: [(Double, Double)], color: Color, lineWidth: Double = 1) {
        guard let first = points.first else { return }
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
        cairo_move_to(cr, first.0 + 0.5, first.1 + 0.5)
        for p in points.dropFirst() { cairo_line_to(cr, p.0 + 0.5, p.1 + 0.5) }
        cairo_stroke(cr)
    }

    /// A filled disc centred on pixel (`x`, `y`).
    func disc(x: Double, y: Double, radius: Double, color: Color) {
        setColor(color)
        cairo_arc(cr, x + 0.5, y + 0.5, radius, 0, 2 * Double.pi)
        cairo_fill(cr)
    }

    /// Shapes drawn inside `body` are clipped to `rect`.
    func clipped(to rect: PlotRect, _ body: () -> Void) {
        cairo_save(cr)
        cairo_rectangle(cr, Double(rect.x), Double(rect.y), Double(rect.width), Double(rect.height))
        cairo_clip(cr)
        body()
        cairo_restore(cr)
    }

    // MARK: images

    /// Draws `image` scaled (nearest neighbour) into the box at (`x`, `y`).
    func image(_ image: PixelImage, x: Double, y: Double, width w: Double, height h: Double) {
        guard w > 0, h > 0 else { return }
        let picture = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(image.width), Int32(image.height))
        defer { cairo_surface_destroy(picture) }
        cairo_surface_flush(picture)
        let stride = Int(cairo_image_surface_get_stride(picture))
        if let base = cairo_image_surface_get_data(picture) {
            for py in 0..<image.height {
                let row = UnsafeMutableRawPointer(base + py * stride).assumingMemoryBound(to: UInt32.self)
                for px in 0..<image.width {
                    let c = image.color(x: px, y: py)
                    row[px] = UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b)
                }
            }
        }
        cairo_surface_mark_dirty(picture)
        cairo_save(cr)
        cairo_rectangle(cr, x, y, w, h)
        cairo_clip(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, w / Double(image.width), h / Double(image.height))
        cairo_set_source_surface(cr, picture, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
    }

    // MARK: text

    /// How far below the top of its line a text's baseline lies, for `size`.
    static func baseline(_ size: Double) -> Double { (size * 0.8).rounded() }

    /// The width of `text` at `size` pixels.
    static func textWidth(_ text: String, size: Double = bodySize, bold: Bool = false) -> Double {
        TextMeasure.shared.width(text, size: size, bold: bold)
    }

    /// Draws `text` with the top of its line at `y` and its left edge, centre or right edge at `x`.
    func text(_ text: String, x: Double, y: Double, color: Color, size: Double = bodySize, bold: Bool = false,
              align: Alignment = .left) {
        guard !text.isEmpty else { return }
        let w = Self.textWidth(text, size: size, bold: bold)
        let left = align == .left ? x : align == .center ? x - w / 2 : x - w
        show(text, left: left, baseline: y + Self.baseline(size), color: color, size: size, bold: bold, rotation: nil)
    }

    /// Draws `text` reading bottom to top, centred on (`x`, `y`) (the middle of its line).
    func verticalText(_ text: String, centerX x: Double, centerY y: Double, color: Color, size: Double = bodySize) {
        guard !text.isEmpty else { return }
        let w = Self.textWidth(text, size: size)
        // In the rotated frame the text runs along -y: its left end is at y + w / 2.
        show(text, left: y + w / 2, baseline: x + Self.baseline(size) - size / 2, color: color, size: size, bold: false, rotation: (x, y))
    }

    private func show(_ text: String, left: Double, baseline: Double, color: Color, size: Double, bold: Bool,
                      rotation: (Double, Double)?) {
        switch format {
        case .png:
            cairo_save(cr)
            cairo_select_font_face(cr, Self.family, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
            cairo_set_font_size(cr, size)
            setColor(color)
            if rotation != nil {
                // (left, baseline) are (y of the start, x of the baseline) in page terms.
                cairo_translate(cr, baseline, left)
                cairo_rotate(cr, -Double.pi / 2)
                cairo_move_to(cr, 0, 0)
            } else {
                cairo_move_to(cr, left, baseline)
            }
            cairo_show_text(cr, text)
            cairo_restore(cr)
        case .svg:
            let fill = String(format: "#%02x%02x%02x", color.r, color.g, color.b)
            let weight = bold ? " font-weight=\"bold\"" : ""
            let (x, y, transform): (Double, Double, String)
            if rotation != nil {
                (x, y, transform) = (0, 0, " transform=\"translate(\(Self.number(baseline)) \(Self.number(left))) rotate(-90)\"")
            } else {
                (x, y, transform) = (left, baseline, "")
            }
            svgText.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-family=\"\(Self.family), Verdana, sans-serif\" "
                           + "font-size=\"\(Self.number(size))\"\(weight) fill=\"\(fill)\"\(transform) xml:space=\"preserve\">\(Self.escaped(text))</text>")
        }
    }

    static func number(_ v: Double) -> String { String(format: "%.2f", v) }

    static func escaped(_ text: String) -> String {
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // Control characters are not allowed in XML 1.0.
                out += ch.value < 0x20 && ch != "\t" && ch != "\n" ? "?" : String(ch)
            }
        }
        return out
    }

    // MARK: output

    /// The finished page: PNG bytes or SVG text. The drawing cannot be drawn on afterwards.
    func encoded(name: String = "<memory>") throws -> [UInt8] {
        cairo_surface_flush(surface)
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError(path: name, reason: "cairo: " + String(cString: cairo_status_to_string(status)))
        }
        switch format {
        case .png:
            return try PNGFile.encode(width: width, height: height, format: .rgb8, pixels: rgbPixels(), name: name)
        case .svg:
            cairo_surface_finish(surface)
            let status = cairo_surface_status(surface)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw PlotError(path: name, reason: "cairo: " + String(cString: cairo_status_to_string(status)))
            }
            var svg = String(decoding: sink.bytes, as: UTF8.self)
            guard let end = svg.range(of: "</svg>", options: .backwards) else {
                throw PlotError(path: name, reason: "cairo wrote no complete SVG document")
            }
            svg.insert(contentsOf: "<g id=\"text\">\n" + svgText.joined(separator: "\n") + "\n</g>\n", at: end.lowerBound)
            return Array(svg.utf8)
        }
    }

    /// The pixels of a PNG drawing, RGB, row by row.
    func rgbPixels() -> [UInt8] {
        precondition(format == .png, "only a PNG drawing has pixels")
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let base = cairo_image_surface_get_data(surface) else { return [] }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width {
                let v = row[x], o = (y * width + x) * 3
                out[o] = UInt8(truncatingIfNeeded: v >> 16)
                out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                out[o + 2] = UInt8(truncatingIfNeeded: v)
            }
        }
        return out
    }

    /// Writes the finished page to `path`, atomically.
    func write(to path: String) throws {
        let bytes = try encoded(name: path)
        do { try AtomicFile.write(bytes, to: path) } catch let e as AtomicFileError {
            throw PlotError(path: path, reason: e.reason)
        }
    }
}

/// The bytes cairo's SVG surface writes.
private final class ByteSink {
    var bytes: [UInt8] = []

    static let write: cairo_write_func_t = { closure, data, length in
        guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
        let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
        return CAIRO_STATUS_SUCCESS
    }
}

/// Text widths, from one small cairo context (guarded: plots may be laid out on several threads).
private final class TextMeasure: @unchecked Sendable {
    static let shared = TextMeasure()
    private let lock = NSLock()
    private let surface: OpaquePointer
    private let cr: OpaquePointer

    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
        cr = cairo_create(surface)
    }

    func width(_ text: String, size: Double, bold: Bool) -> Double {
        lock.lock()
        defer { lock.unlock() }
        cairo_select_font_face(cr, Drawing.family, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }
}
