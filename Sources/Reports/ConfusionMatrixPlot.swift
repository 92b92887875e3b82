import Support

/// A confusion-matrix heatmap: rows are true classes, columns predicted classes, cell
/// colours are row-normalised (the fraction of each true class predicted as each
/// column), and raw counts are printed in the cells when they fit.
///
/// Rows are labelled "index name" on the left; columns by index along the bottom, so
/// the row labels double as the legend. With many classes (e.g. 100) cells shrink,
/// counts are omitted, and only every 5th/10th column index is printed.
public struct ConfusionMatrixPlot: Sendable {
    /// `counts[t][p]`: how many samples of true class `t` were predicted as `p`.
    public var counts: [[Int]]
    /// One name per class; missing or empty names fall back to the index.
    public var classNames: [String]
    /// Title printed above the matrix.
    public var title: String
    /// Colour scale for the row-normalised values (0 → start, 1 → end).
    public var colormap: Colormap = .whiteToBlue
    /// Side of a cell in pixels; `nil` picks one so the matrix is about 560–800 px.
    public var cellSize: Int?
    /// Print counts in cells when they fit.
    public var showCounts: Bool = true
    /// Longest class name printed in a row label (characters); longer names are cut.
    public var maxNameLength: Int = 18

    /// A plot of an n×n count matrix.
    public init(counts: [[Int]], classNames: [String] = [], title: String = "Confusion matrix") {
        precondition(!counts.isEmpty, "ConfusionMatrixPlot: empty matrix")
        precondition(counts.allSatisfy { $0.count == counts.count },
                     "ConfusionMatrixPlot: matrix must be square (\(counts.count) rows)")
        self.counts = counts
        self.classNames = classNames
        self.title = title
    }

    /// Number of classes.
    public var classCount: Int { counts.count }

    /// `counts` divided by row sums (rows with no samples are all zero).
    public var rowNormalized: [[Double]] {
        counts.map { row in
            let total = row.reduce(0, +)
            return row.map { total > 0 ? Double($0) / Double(total) : 0 }
        }
    }

    /// Overall accuracy (trace / total), or `nil` when the matrix is empty.
    public var accuracy: Double? {
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        guard total > 0 else { return nil }
        let hits = (0..<classCount).reduce(0) { $0 + counts[$1][$1] }
        return Double(hits) / Double(total)
    }

    // MARK: Layout

    struct Layout {
        var cell: Int
        var matrixX: Int
        var matrixY: Int
        var width: Int
        var height: Int
        var rowLabels: [String]
        var rowLabelsVisible: Bool
        var columnStep: Int
        var barX: Int
    }

    static let margin = 14

    func rowLabel(_ i: Int) -> String {
        let name = i < classNames.count ? classNames[i] : ""
        let digits = String(classCount - 1).count
        let idx = String(i)
        let padded = String(repeating: " ", count: digits - idx.count) + idx
        if name.isEmpty || name == idx { return padded }
        let cut = name.count > maxNameLength ? String(name.prefix(max(1, maxNameLength - 1))) + "~" : name
        return padded + " " + cut
    }

    func layout() -> Layout {
        let n = classCount
        let m = ConfusionMatrixPlot.margin
        let cell = max(2, cellSize ?? max(6, min(56, 800 / n)))
        let rowLabelsVisible = cell >= 8
        let labels = (0..<n).map(rowLabel)
        let labelWidth = rowLabelsVisible ? (labels.map { BitmapFont.width(of: $0) }.max() ?? 0)
                                          : BitmapFont.width(of: String(n - 1))
        let indexWidth = BitmapFont.width(of: String(n - 1))
        var columnStep = 1
        for step in [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000] {
            columnStep = step
            if step * cell >= indexWidth + (step == 1 ? 3 : 8) { break }
        }
        let titleBlock = 2 * BitmapFont.glyphHeight + 8 + BitmapFont.glyphHeight + 16
        let matrixX = m + BitmapFont.glyphHeight + 10 + labelWidth + 6
        let matrixY = m + titleBlock
        let side = n * cell
        let barX = matrixX + side + 18
        let right = barX + 14 + 5 + BitmapFont.width(of: "100%") + m
        let titleWidth = BitmapFont.width(of: title, scale: 2) + 2 * m
        let width = max(right, titleWidth)
        let height = matrixY + side + 6 + BitmapFont.glyphHeight + 10 + BitmapFont.glyphHeight + m
        return Layout(cell: cell, matrixX: matrixX, matrixY: matrixY, width: width, height: height,
                      rowLabels: labels, rowLabelsVisible: rowLabelsVisible, columnStep: columnStep, barX: barX)
    }

    /// Where the cell for true class `row` and predicted class `column` lands in the
    /// rendered canvas.
    public func cellRect(row: Int, column: Int) -> Canvas.Rect {
        let l = layout()
        return Canvas.Rect(x: l.matrixX + column * l.cell, y: l.matrixY + row * l.cell, width: l.cell, height: l.cell)
    }

    // MARK: Rendering

    /// Draws the plot.
    public func render() -> Canvas {
        let l = layout()
        let n = classCount
        let m = ConfusionMatrixPlot.margin
        let cell = l.cell
        let side = n * cell
        var c = Canvas(width: l.width, height: l.height, background: .white)

        // Title and summary line.
        let centre = l.matrixX + side / 2
        let titleX = max(m + BitmapFont.width(of: title, scale: 2) / 2, min(centre, l.width - m - BitmapFont.width(of: title, scale: 2) / 2))
        c.drawText(title, x: titleX, y: m, color: .black, scale: 2, align: .center)
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        var summary = "\(n) classes, \(total) samples"
        if let acc = accuracy { summary += ", accuracy " + formatPercent(acc, decimals: 2) }
        summary += "; colour = fraction of row"
        let summaryX = max(m + BitmapFont.width(of: summary) / 2, min(centre, l.width - m - BitmapFont.width(of: summary) / 2))
        c.drawText(summary, x: summaryX, y: m + 2 * BitmapFont.glyphHeight + 8, color: .darkGray, align: .center)

        // Cells.
        let norm = rowNormalized
        var maxCountWidth = 0
        for row in counts { for v in row { maxCountWidth = max(maxCountWidth, BitmapFont.width(of: String(v))) } }
        let printCounts = showCounts && cell >= BitmapFont.glyphHeight + 4 && maxCountWidth <= cell - 4
        for t in 0..<n {
            for p in 0..<n {
                let colour = colormap.color(at: norm[t][p])
                let x = l.matrixX + p * cell, y = l.matrixY + t * cell
                c.fillRect(x: x, y: y, width: cell, height: cell, color: colour)
                if printCounts && counts[t][p] != 0 {
                    c.drawText(String(counts[t][p]), x: x + cell / 2 + 1, y: y + (cell - BitmapFont.glyphHeight) / 2,
                               color: colour.contrastingText, align: .center)
                }
            }
        }
        if cell >= 12 && n > 1 {
            let grid = Color(235, 235, 235)
            for i in 1..<n {
                c.drawLine(x0: l.matrixX + i * cell, y0: l.matrixY, x1: l.matrixX + i * cell, y1: l.matrixY + side - 1, color: grid)
                c.drawLine(x0: l.matrixX, y0: l.matrixY + i * cell, x1: l.matrixX + side - 1, y1: l.matrixY + i * cell, color: grid)
            }
        }
        c.strokeRect(x: l.matrixX - 1, y: l.matrixY - 1, width: side + 2, height: side + 2, color: .darkGray)

        // Row labels (true classes).
        let labelRight = l.matrixX - 6
        let textOffset = (cell - BitmapFont.glyphHeight + 1) / 2
        if l.rowLabelsVisible {
            for t in 0..<n {
                c.drawText(l.rowLabels[t], x: labelRight, y: l.matrixY + t * cell + textOffset, color: .black, align: .right)
            }
        } else {
            for t in stride(from: 0, to: n, by: l.columnStep) {
                c.drawText(String(t), x: labelRight, y: l.matrixY + t * cell + cell / 2 - 3, color: .black, align: .right)
                c.drawLine(x0: l.matrixX - 4, y0: l.matrixY + t * cell + cell / 2, x1: l.matrixX - 2,
                           y1: l.matrixY + t * cell + cell / 2, color: .black)
            }
        }
        // Column labels (predicted classes): indices.
        let colY = l.matrixY + side + 6
        for p in stride(from: 0, to: n, by: l.columnStep) {
            let cx = l.matrixX + p * cell + cell / 2
            c.drawText(String(p), x: cx + 1, y: colY, color: .black, align: .center)
        }
        // Axis titles.
        c.drawText("predicted", x: l.matrixX + side / 2, y: colY + BitmapFont.glyphHeight + 10,
                   color: .black, align: .center)
        let trueWidth = BitmapFont.width(of: "true")
        c.drawTextVertical("true", x: m, y: l.matrixY + side / 2 - trueWidth / 2, color: .black)

        // Colour bar.
        let barW = 14
        for y in 0..<side {
            let v = 1 - Double(y) / Double(max(1, side - 1))
            c.fillRect(x: l.barX, y: l.matrixY + y, width: barW, height: 1, color: colormap.color(at: v))
        }
        c.strokeRect(x: l.barX - 1, y: l.matrixY - 1, width: barW + 2, height: side + 2, color: .darkGray)
        let ticks: [Double] = side >= 60 ? [0, 0.25, 0.5, 0.75, 1] : [0, 1]
        for v in ticks {
            let y = l.matrixY + Int((1 - v) * Double(side - 1))
            c.drawLine(x0: l.barX + barW, y0: y, x1: l.barX + barW + 3, y1: y, color: .darkGray)
            let ty = min(max(y - 3, l.matrixY - 3), l.matrixY + side - 4)
            c.drawText(formatPercent(v, decimals: 0), x: l.barX + barW + 5, y: ty, color: .black)
        }
        return c
    }

    /// Renders and writes the plot as a PNG, atomically.
    public func write(to path: String) throws {
        try render().write(to: path)
    }
}
