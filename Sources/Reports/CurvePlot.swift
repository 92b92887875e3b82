import Support
#if canImport(Glibc)
import Glibc
#endif

/// Line plots of named series against epoch (or any x), one or more panels side by
/// side, each with axes, numeric tick labels, grid, legend and title.
///
/// Non-finite values (NaN, ±inf) are skipped: the line breaks there and the legend
/// entry notes how many were skipped. A series with a single finite point is drawn as
/// a marker; a panel with no finite data says "no data".
public struct CurvePlot: Sendable {
    /// One named curve.
    public struct Series: Sendable {
        /// Legend label.
        public var name: String
        /// The y values.
        public var values: [Double]
        /// The x values; `nil` means 1, 2, 3, ... (epochs counted from 1).
        public var x: [Double]?
        /// Line colour; `nil` takes the next palette colour.
        public var color: Color?

        /// A series; `x` must have as many entries as `values` when given.
        public init(name: String, values: [Double], x: [Double]? = nil, color: Color? = nil) {
            precondition(x == nil || x!.count == values.count,
                         "CurvePlot.Series '\(name)': \(x!.count) x values for \(values.count) y values")
            self.name = name
            self.values = values
            self.x = x
            self.color = color
        }

        /// A series of `Float` (or other floating-point) values.
        public init<T: BinaryFloatingPoint>(name: String, values: [T], x: [Double]? = nil, color: Color? = nil) {
            self.init(name: name, values: values.map { Double($0) }, x: x, color: color)
        }
    }

    /// One set of axes.
    public struct Panel: Sendable {
        /// Printed above the axes.
        public var title: String
        /// Printed vertically beside the y axis.
        public var yLabel: String
        /// The curves.
        public var series: [Series]
        /// Fixed y range; `nil` fits the data (values outside a fixed range are clipped).
        public var yRange: ClosedRange<Double>?

        /// A panel of curves.
        public init(title: String, yLabel: String = "", series: [Series], yRange: ClosedRange<Double>? = nil) {
            self.title = title
            self.yLabel = yLabel
            self.series = series
            self.yRange = yRange
        }
    }

    /// Printed above all panels.
    public var title: String
    /// Printed under every x axis.
    public var xLabel: String
    /// The panels, laid out left to right, then top to bottom.
    public var panels: [Panel]
    /// Panels per row.
    public var columns: Int
    /// Size of each panel (axes, labels and legend included).
    public var panelWidth: Int = 540
    /// Size of each panel (axes, labels and legend included).
    public var panelHeight: Int = 360

    /// A figure of `panels`; `columns` defaults to all panels on one row (at most 3).
    public init(title: String, xLabel: String = "epoch", panels: [Panel], columns: Int? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.panels = panels
        self.columns = max(1, columns ?? min(3, max(1, panels.count)))
    }

    /// The usual training figure: a loss panel (train/val) and an accuracy panel
    /// (train/val top-1, and val top-5 when given). Accuracies are fractions in [0, 1]
    /// and are shown as percentages; pass empty arrays for what you do not have.
    public static func training(title: String, trainLoss: [Double], valLoss: [Double],
                                trainAccuracy: [Double], valTop1: [Double],
                                valTop5: [Double] = []) -> CurvePlot {
        func series(_ name: String, _ v: [Double], _ c: Color) -> [Series] {
            v.isEmpty ? [] : [Series(name: name, values: v, color: c)]
        }
        let loss = Panel(title: "loss", yLabel: "loss",
                         series: series("train loss", trainLoss, .blue) + series("val loss", valLoss, .orange))
        let pct = { (v: [Double]) in v.map { $0 * 100 } }
        let acc = Panel(title: "accuracy", yLabel: "accuracy (%)",
                        series: series("train acc", pct(trainAccuracy), .blue)
                            + series("val top-1", pct(valTop1), .orange)
                            + series("val top-5", pct(valTop5), .green))
        return CurvePlot(title: title, panels: [loss, acc])
    }

    // MARK: Rendering

    static let margin = 14

    /// The figure's size in pixels.
    public var size: (width: Int, height: Int) {
        let m = CurvePlot.margin
        let cols = max(1, min(columns, max(1, panels.count)))
        let rows = max(1, (panels.count + cols - 1) / cols)
        let titleH = title.isEmpty ? 0 : Int(Drawing.titleSize) + 12
        let width = max(2 * m + cols * panelWidth, textWidth(title, size: Drawing.titleSize) + 2 * m)
        return (width, m + titleH + rows * panelHeight + m)
    }

    /// Draws the figure as a PNG or SVG page.
    func render(_ format: PlotFormat) -> Drawing {
        let m = CurvePlot.margin
        let cols = max(1, min(columns, max(1, panels.count)))
        let titleH = title.isEmpty ? 0 : Int(Drawing.titleSize) + 12
        let (width, height) = size
        let c = Drawing(width: width, height: height, format: format)
        if !title.isEmpty {
            c.text(title, x: Double(width) / 2, y: Double(m), color: .black, size: Drawing.titleSize, bold: true, align: .center)
        }
        for (i, panel) in panels.enumerated() {
            let px = m + (i % cols) * panelWidth
            let py = m + titleH + (i / cols) * panelHeight
            drawPanel(panel, into: c, area: PlotRect(x: px, y: py, width: panelWidth, height: panelHeight))
        }
        return c
    }

    /// The figure encoded as PNG bytes or SVG text.
    public func encoded(as format: PlotFormat = .png) throws -> [UInt8] { try render(format).encoded() }

    /// Renders and writes the figure (PNG unless told), atomically.
    public func write(to path: String, format: PlotFormat = .png) throws {
        try render(format).write(to: path)
    }

    struct Axis {
        var lo: Double
        var hi: Double
        var ticks: [Double]
        var decimals: Int
    }

    /// A "nice" axis (steps of 1, 2, 2.5 or 5 × 10^k) covering `lo...hi`.
    static func niceAxis(lo: Double, hi: Double, targetTicks: Int, integerSteps: Bool, expand: Bool) -> Axis {
        var lo = lo, hi = hi
        if !(hi > lo) {
            let pad = integerSteps ? 1 : max(abs(lo) * 0.1, 0.5)
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / Double(max(1, targetTicks))
        let mag = pow10(Int((log10(raw)).rounded(.down)))
        var step = mag
        for f in [1.0, 2.0, 2.5, 5.0, 10.0] where f * mag >= raw {
            step = f * mag; break
        }
        if integerSteps { step = max(1, step.rounded()) }
        if expand {
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
        }
        var ticks: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi + step * 1e-9 && ticks.count < 100 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return Axis(lo: lo, hi: hi, ticks: ticks, decimals: decimalsFor(step: step))
    }

    static func pow10(_ e: Int) -> Double {
        var r = 1.0
        if e >= 0 { for _ in 0..<e { r *= 10 } } else { for _ in 0..<(-e) { r /= 10 } }
        return r
    }

    func drawPanel(_ panel: Panel, into c: Drawing, area: PlotRect) {
        let gh = Int(Drawing.bodySize)
        // Gather finite points.
        var allX: [Double] = [], allY: [Double] = []
        let seriesPoints: [[(Double, Double)?]] = panel.series.map { s in
            s.values.enumerated().map { i, v in
                let x = s.x?[i] ?? Double(i + 1)
                guard v.isFinite, x.isFinite else { return nil }
                allX.append(x); allY.append(v)
                return (x, v)
            }
        }
        let hasData = !allX.isEmpty
        let integerX = allX.allSatisfy { $0 == $0.rounded() }
        let xAxis = CurvePlot.niceAxis(lo: allX.min() ?? 0, hi: allX.max() ?? 1, targetTicks: 6,
                                       integerSteps: integerX, expand: false)
        let yAxis: Axis
        if let r = panel.yRange {
            yAxis = CurvePlot.niceAxis(lo: r.lowerBound, hi: r.upperBound, targetTicks: 5, integerSteps: false, expand: false)
        } else {
            let lo = allY.min() ?? 0, hi = allY.max() ?? 1
            yAxis = CurvePlot.niceAxis(lo: lo, hi: hi, targetTicks: 6, integerSteps: false, expand: true)
        }
        let yLabels = yAxis.ticks.map { formatFixed($0, decimals: yAxis.decimals) }
        let yLabelW = yLabels.map { textWidth($0) }.max() ?? 0

        // Plot rectangle.
        let left = area.x + (panel.yLabel.isEmpty ? 0 : gh + 8) + yLabelW + 8
        let top = area.y + gh + 12
        let right = area.x + area.width - 16
        let bottom = area.y + area.height - (gh + 6 + gh + 12)
        let plot = PlotRect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))

        // Titles.
        c.text(panel.title, x: Double(plot.x + plot.width / 2), y: Double(area.y), color: .black, bold: true, align: .center)
        c.text(xLabel, x: Double(plot.x + plot.width / 2), y: Double(plot.y + plot.height + 6 + gh + 4), color: .black, align: .center)
        if !panel.yLabel.isEmpty {
            c.verticalText(panel.yLabel, centerX: Double(area.x + gh / 2), centerY: Double(plot.y + plot.height / 2), color: .black)
        }

        // Data are mapped into the plot inset by a few pixels so that points on the
        // range limits (and their markers) stay visible.
        let inset = 7.0
        func px(_ x: Double) -> Double {
            let v = (x - xAxis.lo) / (xAxis.hi - xAxis.lo) * (Double(plot.width - 1) - 2 * inset)
            return Double(plot.x) + inset + (v.isFinite ? max(-1e6, min(1e6, v)) : 0)
        }
        func py(_ y: Double) -> Double {
            let v = (y - yAxis.lo) / (yAxis.hi - yAxis.lo) * (Double(plot.height - 1) - 2 * inset)
            return Double(plot.y + plot.height - 1) - inset - (v.isFinite ? max(-1e6, min(1e6, v)) : 0)
        }

        // Grid, ticks, labels.
        let grid = Color(232, 232, 232)
        let x0 = Double(plot.x), x1 = Double(plot.x + plot.width - 1), y0 = Double(plot.y), y1 = Double(plot.y + plot.height - 1)
        for (t, label) in zip(yAxis.ticks, yLabels) {
            let y = py(t).rounded()
            c.line(x0: x0, y0: y, x1: x1, y1: y, color: grid)
            c.line(x0: x0 - 4, y0: y, x1: x0 - 1, y1: y, color: .darkGray)
            c.text(label, x: x0 - 7, y: y - Double(gh) / 2, color: .black, align: .right)
        }
        for t in xAxis.ticks {
            let x = px(t).rounded()
            c.line(x0: x, y0: y0, x1: x, y1: y1, color: grid)
            c.line(x0: x, y0: y1 + 1, x1: x, y1: y1 + 4, color: .darkGray)
            c.text(formatFixed(t, decimals: xAxis.decimals), x: x + 0.5, y: y1 + 7, color: .black, align: .center)
        }
        c.strokeRect(x: Double(plot.x - 1), y: Double(plot.y - 1), width: Double(plot.width + 2), height: Double(plot.height + 2), color: .darkGray)

        if !hasData {
            c.text("no data", x: Double(plot.x + plot.width / 2), y: Double(plot.y + plot.height / 2 - gh),
                   color: .gray, size: Drawing.titleSize, align: .center)
        }

        // Curves.
        var occupied: [(Int, Int)] = []
        c.clipped(to: plot) {
            for (si, s) in panel.series.enumerated() {
                let colour = s.color ?? Color.palette[si % Color.palette.count]
                let pts = seriesPoints[si]
                let finite = pts.compactMap { $0 }.count
                var run: [(Double, Double)] = []
                for p in pts {
                    guard let p else {
                        if run.count > 1 { c.polyline(run, color: colour, lineWidth: 2) }
                        run = []
                        continue
                    }
                    let q = (px(p.0), py(p.1))
                    occupied.append((Int(q.0), Int(q.1)))
                    run.append(q)
                }
                if run.count > 1 { c.polyline(run, color: colour, lineWidth: 2) }
                // Markers on top of the lines: every point of short series, and points with no neighbour.
                for (i, p) in pts.enumerated() {
                    guard let p else { continue }
                    let isolated = (i == 0 || pts[i - 1] == nil) && (i == pts.count - 1 || pts[i + 1] == nil)
                    if finite <= 40 || isolated { c.disc(x: px(p.0), y: py(p.1), radius: isolated ? 3.5 : 2.5, color: colour) }
                }
            }
        }

        // Legend, in the corner with the fewest points under it.
        guard !panel.series.isEmpty else { return }
        let entries: [String] = panel.series.map { s in
            let bad = s.values.filter { !$0.isFinite }.count
            if bad == s.values.count { return s.name + " (no data)" }
            return bad > 0 ? s.name + " (\(bad) NaN skipped)" : s.name
        }
        let rowH = gh + 6
        let textW = entries.map { textWidth($0) }.max() ?? 0
        let boxW = 8 + 18 + 6 + textW + 8
        let boxH = 6 + entries.count * rowH
        let corners = [
            (plot.x + plot.width - 8 - boxW, plot.y + 8),
            (plot.x + 8, plot.y + 8),
            (plot.x + plot.width - 8 - boxW, plot.y + plot.height - 8 - boxH),
            (plot.x + 8, plot.y + plot.height - 8 - boxH),
        ]
        var best = corners[0], bestCount = Int.max
        for corner in corners {
            let r = PlotRect(x: corner.0 - 4, y: corner.1 - 4, width: boxW + 8, height: boxH + 8)
            let n = occupied.filter { r.contains(x: $0.0, y: $0.1) }.count
            if n < bestCount { best = corner; bestCount = n }
        }
        c.fillRect(x: Double(best.0), y: Double(best.1), width: Double(boxW), height: Double(boxH), color: .white)
        c.strokeRect(x: Double(best.0), y: Double(best.1), width: Double(boxW), height: Double(boxH), color: Color(180, 180, 180))
        for (i, s) in panel.series.enumerated() {
            let colour = s.color ?? Color.palette[i % Color.palette.count]
            let y = best.1 + 6 + i * rowH
            c.fillRect(x: Double(best.0 + 8), y: Double(y + gh / 2 - 1), width: 18, height: 3, color: colour)
            c.text(entries[i], x: Double(best.0 + 8 + 18 + 6), y: Double(y), color: .black)
        }
    }
}

/// The width in whole pixels of `text` in the plots' font.
func textWidth(_ text: String, size: Double = Drawing.bodySize) -> Int {
    Int(Drawing.textWidth(text, size: size).rounded(.up))
}
