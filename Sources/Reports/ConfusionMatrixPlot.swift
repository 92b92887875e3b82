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
        let gh = Int(Drawing.bodySize)
        let cell = max(2, cellSize ?? max(6, min(56, 800 / n)))
        let rowLabelsVisible = cell >= 10
        let labels = (0..<n).map(rowLabel)
        let labelWidth = rowLabelsVisible ? (labels.map { textWidth($0) }.max() ?? 0) : textWidth(String(n - 1))
        let indexWidth = textWidth(String(n - 1))
        var columnStep = 1
        for step in [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000] {
            columnStep = step
            if step * cell >= indexWidth + (step == 1 ? 3 : 8) { break }
        }
        let titleBlock = Int(Drawing.titleSize) + 8 + gh + 16
        let matrixX = m + gh + 10 + labelWidth + 6
        let matrixY = m + titleBlock
        let side = n * cell
        let barX = matrixX + side + 18
        let right = barX + 14 + 5 + textWidth("100%") + m
        let titleWidth = textWidth(title, size: Drawing.titleSize) + 2 * m
        let width = max(right, titleWidth, textWidth(summary) + 2 * m)
        let height = matrixY + side + 6 + gh + 10 + gh + m
        return Layout(cell: cell, matrixX: matrixX, matrixY: matrixY, width: width, height: height,
                      rowLabels: labels, rowLabelsVisible: rowLabelsVisible, columnStep: columnStep, barX: barX)
    }

    /// The line under the title: classes, samples, accuracy, what the colour means.
    var summary: String {
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        var summary = "\(classCount) classes, \(total) samples"
        if let acc = accuracy { summary += ", accuracy " + formatPercent(acc, decimals: 2) }
        return summary + "; colour = fraction of row"
    }

    /// The plot's size in pixels.
    public var size: (width: Int, height: Int) {
        let l = layout()
        return (l.width, l.height)
    }

    /// Where the cell for true class `row` and predicted class `column` lands in the rendered plot.
    public func cellRect(row: Int, column: Int) -> PlotRect {
        let l = layout()
        return PlotRect(x: l.matrixX + column * l.cell, y: l.matrixY + row * l.cell, width: l.cell, height: l.cell)
    }

    /// Whether the counts are printed in the cells (they are when they fit).
    public var printsCounts: Bool {
        let cell = layout().cell
        let widest = counts.flatMap { $0 }.map { textWidth(String($0)) }.max() ?? 0
        return showCounts && cell >= Int(Drawing.bodySize) + 4 && widest <= cell - 4
    }

    // MARK: Rendering

    /// Draws the plot as a PNG or SVG page.
    func render(_ format: PlotFormat) -> Drawing {
        let l = layout()
        let n = classCount
        let m = Double(ConfusionMatrixPlot.margin)
        let gh = Drawing.bodySize
        let cell = Double(l.cell)
        let side = Double(n) * cell
        let mx = Double(l.matrixX), my = Double(l.matrixY)
        let c = Drawing(width: l.width, height: l.height, format: format)

        // Title and summary line, centred on the matrix where they fit.
        func centred(_ text: String, size: Double) -> Double {
            let w = Drawing.textWidth(text, size: size)
            return max(m + w / 2, min(mx + side / 2, Double(l.width) - m - w / 2))
        }
        c.text(title, x: centred(title, size: Drawing.titleSize), y: m, color: .black, size: Drawing.titleSize, bold: true, align: .center)
        c.text(summary, x: centred(summary, size: gh), y: m + Drawing.titleSize + 8, color: .darkGray, align: .center)

        // Cells.
        let norm = rowNormalized
        let printCounts = printsCounts
        for t in 0..<n {
            for p in 0..<n {
                let colour = colormap.color(at: norm[t][p])
                let x = mx + Double(p) * cell, y = my + Double(t) * cell
                c.fillRect(x: x, y: y, width: cell, height: cell, color: colour)
                if printCounts && counts[t][p] != 0 {
                    c.text(String(counts[t][p]), x: x + cell / 2, y: y + (cell - gh) / 2, color: colour.contrastingText, align: .center)
                }
            }
        }
        if l.cell >= 12 && n > 1 {
            let grid = Color(235, 235, 235)
            for i in 1..<n {
                let o = Double(i) * cell
                c.line(x0: mx + o, y0: my, x1: mx + o, y1: my + side - 1, color: grid)
                c.line(x0: mx, y0: my + o, x1: mx + side - 1, y1: my + o, color: grid)
            }
        }
        c.strokeRect(x: mx - 1, y: my - 1, width: side + 2, height: side + 2, color: .darkGray)

        // Row labels (true classes).
        let labelRight = mx - 6
        if l.rowLabelsVisible {
            for t in 0..<n {
                c.text(l.rowLabels[t], x: labelRight, y: my + Double(t) * cell + (cell - gh) / 2, color: .black, align: .right)
            }
        } else {
            for t in stride(from: 0, to: n, by: l.columnStep) {
                let y = my + Double(t) * cell + cell / 2
                c.text(String(t), x: labelRight, y: y - gh / 2, color: .black, align: .right)
                c.line(x0: mx - 4, y0: y.rounded(.down), x1: mx - 2, y1: y.rounded(.down), color: .black)
            }
        }
        // Column labels (predicted classes): indices.
        let colY = my + side + 6
        for p in stride(from: 0, to: n, by: l.columnStep) {
            c.text(String(p), x: mx + Double(p) * cell + cell / 2, y: colY, color: .black, align: .center)
        }
        // Axis titles.
        c.text("predicted", x: mx + side / 2, y: colY + gh + 8, color: .black, bold: true, align: .center)
        c.verticalText("true", centerX: m + gh / 2, centerY: my + side / 2, color: .black)

        // Colour bar.
        let barX = Double(l.barX), barW = 14.0
        for y in 0..<Int(side) {
            let v = 1 - Double(y) / Double(max(1, Int(side) - 1))
            c.fillRect(x: barX, y: my + Double(y), width: barW, height: 1, color: colormap.color(at: v))
        }
        c.strokeRect(x: barX - 1, y: my - 1, width: barW + 2, height: side + 2, color: .darkGray)
        let ticks: [Double] = side >= 60 ? [0, 0.25, 0.5, 0.75, 1] : [0, 1]
        for v in ticks {
            let y = (my + (1 - v) * (side - 1)).rounded()
            c.line(x0: barX + barW, y0: y, x1: barX + barW + 3, y1: y, color: .darkGray)
            let ty = min(max(y - gh / 2, my - gh / 2), my + side - gh / 2)
            c.text(formatPercent(v, decimals: 0), x: barX + barW + 5, y: ty, color: .black)
        }
        return c
    }

    /// The plot encoded as PNG bytes or SVG text.
    public func encoded(as format: PlotFormat = .png) throws -> [UInt8] { try render(format).encoded() }

    /// Renders and writes the plot (PNG unless told), atomically.
    public func write(to path: String, format: PlotFormat = .png) throws {
        try render(format).write(to: path)
    }
}
