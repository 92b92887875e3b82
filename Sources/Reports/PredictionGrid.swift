import Support

/// A grid of small images with their true and predicted labels, for eyeballing what a
/// classifier gets right and wrong.
///
/// Each image is scaled (nearest neighbour, integer factor when upscaling) into a
/// square cell and framed green when the prediction is right, red when it is wrong.
/// The caption "true: X / pred: Y (p%)" sits under the cell, split over two lines
/// (and shortened with "~") when it does not fit on one.
public struct PredictionGrid: Sendable {
    /// One picture and what the model said about it.
    public struct Item: Sendable {
        /// The input image.
        public var image: PixelImage
        /// Ground-truth label.
        public var trueLabel: String
        /// Predicted label.
        public var predictedLabel: String
        /// Confidence of the prediction in [0, 1], printed as a percentage when given.
        public var confidence: Double?
        /// Whether the prediction is right (defaults to comparing the labels).
        public var isCorrect: Bool
        /// A caption shown instead of the labels, in a neutral grey frame (a picture of the
        /// data rather than of a prediction: `vgg preview`).
        public var note: String?

        /// A picture captioned `note`, with no prediction.
        public init(image: PixelImage, note: String) {
            self.init(image: image, trueLabel: note, predictedLabel: note)
            self.note = note
        }

        /// An item; `isCorrect` defaults to `trueLabel == predictedLabel`.
        public init(image: PixelImage, trueLabel: String, predictedLabel: String,
                    confidence: Double? = nil, isCorrect: Bool? = nil) {
            self.image = image
            self.trueLabel = trueLabel
            self.predictedLabel = predictedLabel
            self.confidence = confidence
            self.isCorrect = isCorrect ?? (trueLabel == predictedLabel)
        }

        /// An item from a CHW float tensor, optionally de-normalised with
        /// `(v * std + mean) / maxValue` (see `PixelImage`).
        public init(chw values: [Float], channels: Int, height: Int, width: Int,
                    mean: [Float] = [], std: [Float] = [], maxValue: Float = 1,
                    trueLabel: String, predictedLabel: String, confidence: Double? = nil) {
            self.init(image: PixelImage(width: width, height: height, channels: channels, values: values,
                                        layout: .chw, mean: mean, std: std, maxValue: maxValue),
                      trueLabel: trueLabel, predictedLabel: predictedLabel, confidence: confidence)
        }

        /// The caption text on one line.
        public var caption: String {
            note ?? "true: \(trueLabel) / pred: \(predictedLabel)" + confidenceText
        }

        var confidenceText: String {
            guard let p = confidence, p.isFinite else { return "" }
            return " (" + formatPercent(p, decimals: p >= 0.995 || p < 0.1 ? 1 : 0) + ")"
        }
    }

    /// The pictures, laid out row by row.
    public var items: [Item]
    /// Cells per row.
    public var columns: Int
    /// Side of the square image area of a cell, in pixels.
    public var cellSize: Int
    /// Printed above the grid when not empty.
    public var title: String
    /// Width of the red/green frame.
    public var borderWidth: Int = 3

    /// A grid of `items`, `columns` per row, images shown about `cellSize` pixels wide.
    public init(items: [Item], columns: Int = 8, cellSize: Int = 96, title: String = "") {
        self.items = items
        self.columns = max(1, columns)
        self.cellSize = max(8, cellSize)
        self.title = title
    }

    /// Colour of the frame of right predictions.
    public static let correctColor = Color(0, 170, 0)
    /// Colour of the frame of wrong predictions.
    public static let wrongColor = Color(220, 0, 0)

    static let margin = 12
    static let gap = 12

    var cellWidth: Int { cellSize + 2 * borderWidth }
    static let lineHeight = Int(Drawing.bodySize) + 3
    var captionHeight: Int { 2 * PredictionGrid.lineHeight + 4 }
    var titleHeight: Int { title.isEmpty ? 0 : Int(Drawing.titleSize) + 12 }

    /// The framed box (border included) of item `index` in the rendered grid.
    public func frameRect(_ index: Int) -> PlotRect {
        let m = PredictionGrid.margin, g = PredictionGrid.gap
        let col = index % columns, row = index / columns
        return PlotRect(x: m + col * (cellWidth + g), y: m + titleHeight + row * (cellWidth + captionHeight + g),
                        width: cellWidth, height: cellWidth)
    }

    /// The grid's size in pixels.
    public var size: (width: Int, height: Int) {
        let m = PredictionGrid.margin, g = PredictionGrid.gap
        let cols = max(1, min(columns, max(1, items.count)))
        let rows = max(1, (items.count + columns - 1) / columns)
        let width = max(2 * m + cols * cellWidth + (cols - 1) * g, textWidth(title, size: Drawing.titleSize) + 2 * m)
        return (width, 2 * m + titleHeight + rows * (cellWidth + captionHeight) + (rows - 1) * g)
    }

    /// `text`, cut with "~" so that it is at most `width` pixels wide.
    static func truncate(_ text: String, toWidth width: Int) -> String {
        guard textWidth(text) > width else { return text }
        var cut = text
        while !cut.isEmpty && textWidth(cut + "~") > width { cut.removeLast() }
        return cut + "~"
    }

    /// Draws the grid as a PNG or SVG page.
    func render(_ format: PlotFormat) -> Drawing {
        let m = Double(PredictionGrid.margin), g = PredictionGrid.gap
        let (width, height) = size
        let c = Drawing(width: width, height: height, format: format)
        if !title.isEmpty {
            c.text(title, x: Double(width) / 2, y: m, color: .black, size: Drawing.titleSize, bold: true, align: .center)
        }
        if items.isEmpty {
            c.text("(no images)", x: Double(width) / 2, y: m + Double(titleHeight + cellWidth / 2), color: .gray, align: .center)
        }
        let captionMax = cellWidth + g - 4
        let lineHeight = Double(PredictionGrid.lineHeight)
        for (i, item) in items.enumerated() {
            let frame = frameRect(i)
            let fx = Double(frame.x), fy = Double(frame.y), fw = Double(frame.width), fh = Double(frame.height)
            let colour = item.note != nil ? Color(150, 150, 150) : item.isCorrect ? PredictionGrid.correctColor : PredictionGrid.wrongColor
            c.fillRect(x: fx, y: fy, width: fw, height: fh, color: Color(245, 245, 245))
            c.strokeRect(x: fx, y: fy, width: fw, height: fh, color: colour, lineWidth: Double(borderWidth))
            // Fit the image: integer upscaling when it is smaller than the cell.
            let img = item.image
            let longest = max(img.width, img.height)
            var w: Int, h: Int
            if longest <= cellSize {
                let s = cellSize / longest
                w = img.width * s; h = img.height * s
            } else {
                w = max(1, img.width * cellSize / longest); h = max(1, img.height * cellSize / longest)
            }
            let ix = frame.x + borderWidth + (cellSize - w) / 2
            let iy = frame.y + borderWidth + (cellSize - h) / 2
            c.image(img, x: Double(ix), y: Double(iy), width: Double(w), height: Double(h))

            // Caption.
            let centre = fx + fw / 2
            let ty = fy + fh + 4
            let textColour = item.isCorrect ? Color.black : Color(170, 0, 0)
            let one = item.caption
            if textWidth(one) <= captionMax || item.note != nil {
                c.text(Self.truncate(one, toWidth: captionMax), x: centre, y: ty, color: textColour, align: .center)
            } else {
                let line1 = Self.truncate("true: " + item.trueLabel, toWidth: captionMax)
                let conf = item.confidenceText
                let predMax = captionMax - textWidth(conf) - textWidth("pred: ")
                let line2 = "pred: " + Self.truncate(item.predictedLabel, toWidth: max(textWidth("W"), predMax)) + conf
                c.text(line1, x: centre, y: ty, color: .black, align: .center)
                c.text(Self.truncate(line2, toWidth: captionMax), x: centre, y: ty + lineHeight, color: textColour, align: .center)
            }
        }
        return c
    }

    /// The grid encoded as PNG bytes or SVG text.
    public func encoded(as format: PlotFormat = .png) throws -> [UInt8] { try render(format).encoded() }

    /// Renders and writes the grid (PNG unless told), atomically.
    public func write(to path: String, format: PlotFormat = .png) throws {
        try render(format).write(to: path)
    }
}
