/// An RGB8 raster with the drawing primitives the reports need: fills, rectangles,
/// thick lines, nearest-neighbour image blits and bitmap text.
///
/// Coordinates are in pixels with (0, 0) at the top-left; every primitive clips to the
/// canvas, so drawing partly (or wholly) outside is safe.
public struct Canvas: Sendable {
    /// Horizontal placement of text relative to the `x` passed to `drawText`.
    public enum TextAlignment: Sendable {
        /// `x` is the left edge.
        case left
        /// `x` is the centre.
        case center
        /// `x` is the right edge.
        case right
    }

    /// An integer rectangle: top-left corner and size in pixels.
    public struct Rect: Equatable, Hashable, Sendable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int
        /// A rectangle from its top-left corner and size.
        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x; self.y = y; self.width = width; self.height = height
        }
        /// Whether (`px`, `py`) lies inside.
        public func contains(x px: Int, y py: Int) -> Bool {
            px >= x && px < x + width && py >= y && py < y + height
        }
    }

    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes, row-major, RGB interleaved.
    public var pixels: [UInt8]
    /// When set, drawing outside this rectangle is ignored (reading is unaffected).
    public var clipRect: Rect? {
        didSet {
            if let r = clipRect {
                clip = (max(0, r.x), max(0, r.y), min(width, r.x + r.width), min(height, r.y + r.height))
            } else {
                clip = (0, 0, width, height)
            }
        }
    }
    private var clip: (x0: Int, y0: Int, x1: Int, y1: Int)

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "Canvas: size must be positive, got \(width)x\(height)")
        self.width = width
        self.height = height
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: px.count, by: 3) {
            px[i] = background.r; px[i + 1] = background.g; px[i + 2] = background.b
        }
        self.pixels = px
        self.clip = (0, 0, width, height)
    }

    /// A canvas holding a decoded PNG.
    public init(_ image: PNGFile.Image) {
        precondition(image.pixels.count == image.width * image.height * 3, "Canvas: bad image buffer")
        self.width = image.width
        self.height = image.height
        self.pixels = image.pixels
        self.clip = (0, 0, image.width, image.height)
    }

    // MARK: Pixels

    /// The colour at (`x`, `y`); the point must be inside the canvas.
    public func pixel(x: Int, y: Int) -> Color {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "Canvas: (\(x), \(y)) outside \(width)x\(height)")
        let i = (y * width + x) * 3
        return Color(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets one pixel; points outside the canvas are ignored.
    @inline(__always)
    public mutating func setPixel(x: Int, y: Int, _ color: Color) {
        guard x >= clip.x0, x < clip.x1, y >= clip.y0, y < clip.y1 else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
    }

    // MARK: Shapes

    /// Fills the whole canvas.
    public mutating func fill(_ color: Color) {
        fillRect(x: 0, y: 0, width: width, height: height, color: color)
    }

    /// Fills the rectangle with top-left (`x`, `y`) and the given size.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: Color) {
        let x0 = max(clip.x0, x), y0 = max(clip.y0, y)
        let x1 = min(clip.x1, x + w), y1 = min(clip.y1, y + h)
        guard x0 < x1, y0 < y1 else { return }
        pixels.withUnsafeMutableBufferPointer { px in
            for yy in y0..<y1 {
                var i = (yy * width + x0) * 3
                for _ in x0..<x1 {
                    px[i] = color.r; px[i + 1] = color.g; px[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// Outlines the rectangle; the border of `thickness` pixels lies inside it.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, color: Color, thickness: Int = 1) {
        guard w > 0, h > 0 else { return }
        let t = max(1, min(thickness, (min(w, h) + 1) / 2))
        fillRect(x: x, y: y, width: w, height: t, color: color)
        fillRect(x: x, y: y + h - t, width: w, height: t, color: color)
        fillRect(x: x, y: y + t, width: t, height: h - 2 * t, color: color)
        fillRect(x: x + w - t, y: y + t, width: t, height: h - 2 * t, color: color)
    }

    /// Draws a straight line from (`x0`, `y0`) to (`x1`, `y1`) inclusive with Bresenham's
    /// algorithm; `thickness` > 1 stamps a square brush centred on each point.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, color: Color, thickness: Int = 1) {
        let t = max(1, thickness)
        let lo = -(t - 1) / 2
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            if t == 1 {
                setPixel(x: x, y: y, color)
            } else {
                fillRect(x: x + lo, y: y + lo, width: t, height: t, color: color)
            }
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    // MARK: Images

    /// Draws `image` scaled (nearest neighbour) to fill the `width`×`height` box at (`x`, `y`).
    public mutating func drawImage(_ image: PixelImage, x: Int, y: Int, width w: Int, height h: Int) {
        guard w > 0, h > 0 else { return }
        for dy in 0..<h {
            let yy = y + dy
            if yy < clip.y0 || yy >= clip.y1 { continue }
            let sy = min(image.height - 1, dy * image.height / h)
            for dx in 0..<w {
                let xx = x + dx
                if xx < clip.x0 || xx >= clip.x1 { continue }
                let sx = min(image.width - 1, dx * image.width / w)
                setPixel(x: xx, y: yy, image.color(x: sx, y: sy))
            }
        }
    }

    /// Draws `image` at (`x`, `y`), each source pixel becoming a `scale`×`scale` block.
    public mutating func drawImage(_ image: PixelImage, x: Int, y: Int, scale: Int = 1) {
        let s = max(1, scale)
        drawImage(image, x: x, y: y, width: image.width * s, height: image.height * s)
    }

    // MARK: Text

    /// Size of `text` drawn at `scale` (see `BitmapFont.size(of:scale:)`).
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        BitmapFont.size(of: text, scale: scale)
    }

    /// Draws `text` (ASCII; `\n` starts a new line) with its box's top edge at `y` and
    /// its left edge, centre or right edge at `x` depending on `align`.
    /// Returns the box the text occupies.
    @discardableResult
    public mutating func drawText(_ text: String, x: Int, y: Int, color: Color, scale: Int = 1,
                                  align: TextAlignment = .left) -> Rect {
        let s = max(1, scale)
        let size = BitmapFont.size(of: text, scale: s)
        let left: Int
        switch align {
        case .left: left = x
        case .center: left = x - size.width / 2
        case .right: left = x - size.width
        }
        Canvas.rasterize(text, scale: s) { gx, gy in
            setPixel(x: left + gx, y: y + gy, color)
        }
        return Rect(x: left, y: y, width: size.width, height: size.height)
    }

    /// Draws `text` rotated 90° counter-clockwise (reading bottom to top), for vertical
    /// axis titles. (`x`, `y`) is the top-left of the rotated box, which is
    /// `textSize.height` wide and `textSize.width` tall; `centeredAt` variants are
    /// easy to build from `textSize`.
    public mutating func drawTextVertical(_ text: String, x: Int, y: Int, color: Color, scale: Int = 1) {
        let s = max(1, scale)
        let size = BitmapFont.size(of: text, scale: s)
        Canvas.rasterize(text, scale: s) { gx, gy in
            setPixel(x: x + gy, y: y + size.width - 1 - gx, color)
        }
    }

    /// Calls `plot` for every ink pixel of `text` in unrotated text coordinates.
    static func rasterize(_ text: String, scale s: Int, _ plot: (Int, Int) -> Void) {
        var lineTop = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var left = 0
            for scalar in line.unicodeScalars {
                let cols = BitmapFont.columns(scalar)
                for (ci, bits) in cols.enumerated() where bits != 0 {
                    for row in 0..<BitmapFont.glyphHeight where bits & (1 << row) != 0 {
                        let px = left + ci * s, py = lineTop + row * s
                        for oy in 0..<s { for ox in 0..<s { plot(px + ox, py + oy) } }
                    }
                }
                left += BitmapFont.advance * s
            }
            lineTop += BitmapFont.lineHeight * s
        }
    }

    // MARK: Files

    /// The canvas encoded as PNG bytes.
    public func pngData() throws -> [UInt8] {
        try PNGFile.encode(width: width, height: height, format: .rgb8, pixels: pixels)
    }

    /// Writes the canvas as an RGB PNG, atomically.
    public func write(to path: String) throws {
        try PNGFile.write(path: path, width: width, height: height, format: .rgb8, pixels: pixels)
    }

    /// Reads a PNG file into a canvas.
    public static func read(path: String) throws -> Canvas {
        Canvas(try PNGFile.read(path: path))
    }
}
