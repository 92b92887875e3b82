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
    var captionHeight: Int { 2 * BitmapFont.lineHeight + 4 }

    /// The framed box (border included) of item `index` in the rendered canvas.
    public func frameRect(_ index: Int) -> Canvas.Rect {
        let m = PredictionGrid.margin, g = PredictionGrid.gap
        let titleH = title.isEmpty ? 0 : 2 * BitmapFont.glyphHeight + 12
        let col = index % columns, row = index / columns
        return Canvas.Rect(x: m + col * (cellWidth + g), y: m + titleH + row * (cellWidth + captionHeight + g),
                           width: cellWidth, height: cellWidth)
    }

    /// Draws the grid.
    public func render() -> Canvas {
        let m = PredictionGrid.margin, g = PredictionGrid.gap
        let cols = max(1, min(columns, max(1, items.count)))
        let rows = max(1, (items.count + columns - 1) / columns)
        let titleH = title.isEmpty ? 0 : 2 * BitmapFont.glyphHeight + 12
        let width = max(2 * m + cols * cellWidth + (cols - 1) * g, BitmapFont.width(of: title, scale: 2) + 2 * m)
        let height = 2 * m + titleH + rows * (cellWidth + captionHeight) + (rows - 1) * g
        var c = Canvas(width: width, height: height, background: .white)
        if !title.isEmpty {
            c.drawText(title, x: width / 2, y: m, color: .black, scale: 2, align: .center)
        }
        if items.isEmpty {
            c.drawText("(no images)", x: width / 2, y: m + titleH + cellWidth / 2, color: .gray, align: .center)
        }
        let captionMax = cellWidth + g - 4
        for (i, item) in items.enumerated() {
            let frame = frameRect(i)
            let colour = item.note != nil ? Color(150, 150, 150) : item.isCorrect ? PredictionGrid.correctColor : PredictionGrid.wrongColor
            c.fillRect(x: frame.x, y: frame.y, width: frame.width, height: frame.height, color: Color(245, 245, 245))
            c.strokeRect(x: frame.x, y: frame.y, width: frame.width, height: frame.height,
                         color: colour, thickness: borderWidth)
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
            c.drawImage(img, x: ix, y: iy, width: w, height: h)

            // Caption.
            let centre = frame.x + frame.width / 2
            let ty = frame.y + frame.height + 4
            let textColour = item.isCorrect ? Color.black : Color(170, 0, 0)
            let one = item.caption
            if BitmapFont.width(of: one) <= captionMax || item.note != nil {
                c.drawText(BitmapFont.truncate(one, toWidth: captionMax), x: centre, y: ty, color: textColour, align: .center)
            } else {
                let line1 = BitmapFont.truncate("true: " + item.trueLabel, toWidth: captionMax)
                let conf = item.confidenceText
                let predMax = captionMax - BitmapFont.width(of: conf) - BitmapFont.advance * 6
                let line2 = "pred: " + BitmapFont.truncate(item.predictedLabel, toWidth: max(BitmapFont.advance, predMax)) + conf
                c.drawText(line1, x: centre, y: ty, color: .black, align: .center)
                c.drawText(BitmapFont.truncate(line2, toWidth: captionMax), x: centre, y: ty + BitmapFont.lineHeight,
                           color: textColour, align: .center)
            }
        }
        return c
    }

    /// Renders and writes the grid as a PNG, atomically.
    public func write(to path: String) throws {
        try render().write(to: path)
    }
}
