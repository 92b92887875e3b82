import Foundation
import Support
import XCTest
@testable import Reports

final class ConfusionMatrixPlotTests: XCTestCase {
    static let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    func perfect(_ n: Int, perClass: Int = 100) -> [[Int]] {
        (0..<n).map { t in (0..<n).map { $0 == t ? perClass : 0 } }
    }

    func testPerfectClassifierHasMaxColourOnDiagonalAndMinElsewhere() throws {
        let plot = ConfusionMatrixPlot(counts: perfect(10), classNames: Self.names, title: "perfect")
        let c = plot.render()
        let maxColour = plot.colormap.color(at: 1), minColour = plot.colormap.color(at: 0)
        for i in 0..<10 {
            let d = plot.cellRect(row: i, column: i)
            XCTAssertGreaterThanOrEqual(d.width, 40, "10 classes should get roomy cells")
            // Corners of the cell, away from the printed count and the grid lines.
            XCTAssertEqual(c.pixel(x: d.x + 2, y: d.y + 2), maxColour, "diagonal cell \(i)")
            XCTAssertEqual(c.pixel(x: d.x + d.width - 3, y: d.y + d.height - 3), maxColour)
            let o = plot.cellRect(row: i, column: (i + 1) % 10)
            XCTAssertEqual(c.pixel(x: o.x + 2, y: o.y + 2), minColour)
        }
        // The count "100" is printed in the diagonal cell in a contrasting colour.
        let d = plot.cellRect(row: 3, column: 3)
        var text = 0
        for y in d.y..<(d.y + d.height) { for x in d.x..<(d.x + d.width) where c.pixel(x: x, y: y) == maxColour.contrastingText { text += 1 } }
        XCTAssertGreaterThan(text, 10)
    }

    func testSizeAndPNGRoundTrip() throws {
        let plot = ConfusionMatrixPlot(counts: perfect(10), classNames: Self.names)
        let c = plot.render()
        let last = plot.cellRect(row: 9, column: 9)
        let first = plot.cellRect(row: 0, column: 0)
        XCTAssertEqual(last.x - first.x, 9 * first.width)
        XCTAssertLessThan(last.x + last.width, c.width)
        XCTAssertLessThan(last.y + last.height, c.height)
        XCTAssertGreaterThan(first.x, Canvas.textSize("1 automobile").width) // room for row labels
        XCTAssertTrue((600...1000).contains(c.width), "width \(c.width)")
        let decoded = try PNGFile.decode(try c.pngData())
        XCTAssertEqual(decoded.width, c.width)
        XCTAssertEqual(decoded.height, c.height)
        XCTAssertEqual(decoded.pixels, c.pixels)
    }

    func testRowNormalisationAndAccuracy() {
        let plot = ConfusionMatrixPlot(counts: [[3, 1], [0, 0]])
        XCTAssertEqual(plot.rowNormalized, [[0.75, 0.25], [0, 0]])
        XCTAssertEqual(plot.accuracy, 0.75)
    }

    func testHundredClassesDegradeGracefully() {
        var counts = perfect(100, perClass: 7)
        counts[5][6] = 3
        let plot = ConfusionMatrixPlot(counts: counts, classNames: (0..<100).map { "class number \($0)" })
        let c = plot.render()
        XCTAssertLessThanOrEqual(c.width, 1200)
        XCTAssertLessThanOrEqual(c.height, 1200)
        // No per-cell text: every cell is a single flat colour.
        for (r, col) in [(5, 5), (5, 6), (50, 50), (0, 99)] {
            let cell = plot.cellRect(row: r, column: col)
            let colour = c.pixel(x: cell.x, y: cell.y)
            for y in cell.y..<(cell.y + cell.height) {
                for x in cell.x..<(cell.x + cell.width) { XCTAssertEqual(c.pixel(x: x, y: y), colour) }
            }
        }
        XCTAssertEqual(c.pixel(x: plot.cellRect(row: 50, column: 50).x, y: plot.cellRect(row: 50, column: 50).y),
                       plot.colormap.color(at: 1))
        XCTAssertEqual(c.pixel(x: plot.cellRect(row: 5, column: 6).x, y: plot.cellRect(row: 5, column: 6).y),
                       plot.colormap.color(at: 0.3))
    }
}

final class CurvePlotTests: XCTestCase {
    func count(_ c: Canvas, _ colour: Color) -> Int {
        var n = 0
        for y in 0..<c.height { for x in 0..<c.width where c.pixel(x: x, y: y) == colour { n += 1 } }
        return n
    }

    func testSinglePointIsDrawnAsMarker() {
        let colour = Color(200, 30, 200)
        let plot = CurvePlot(title: "one", panels: [.init(title: "loss", series: [.init(name: "train", values: [2.3], color: colour)])])
        let c = plot.render()
        XCTAssertEqual(c.width, 2 * CurvePlot.margin + plot.panelWidth)
        // A 7x7 marker plus the legend swatch (18x3).
        XCTAssertGreaterThanOrEqual(count(c, colour), 49 + 54)
    }

    func testNaNValuesAreSkippedAndAllNaNSaysNoData() {
        let a = Color(10, 200, 10), b = Color(200, 10, 10)
        let plot = CurvePlot(title: "nan", panels: [
            .init(title: "mixed", series: [.init(name: "x", values: [1, .nan, 3, .infinity, 2], color: a)]),
            .init(title: "all nan", series: [.init(name: "y", values: [.nan, .nan], color: b)]),
        ])
        let c = plot.render()
        XCTAssertGreaterThan(count(c, a), 54 + 3 * 25) // legend + three markers
        XCTAssertEqual(count(c, b), 54)                 // only the legend swatch
        XCTAssertGreaterThan(count(c, .gray), 20)        // "no data"
    }

    func testExtremeAndConstantValuesDoNotCrash() {
        let plot = CurvePlot(title: "extreme", panels: [
            .init(title: "huge", series: [.init(name: "h", values: [1e300, -1e300, 0])]),
            .init(title: "flat", series: [.init(name: "f", values: [0, 0, 0])]),
            .init(title: "fixed", series: [.init(name: "c", values: [5, 50, 500])], yRange: 0...100),
        ])
        let c = plot.render()
        XCTAssertEqual(c.width, 2 * CurvePlot.margin + 3 * plot.panelWidth)
        XCTAssertGreaterThan(inkPixels(c).count, 1000)
    }

    func testEmptyPlotRenders() {
        let c = CurvePlot(title: "", panels: [.init(title: "nothing", series: [])]).render()
        XCTAssertGreaterThan(c.width, 100)
        XCTAssertGreaterThan(inkPixels(c).count, 100) // axes and labels
    }

    func testLineConnectsConsecutivePoints() {
        let colour = Color(1, 2, 250)
        var many = CurvePlot.Series(name: "long", values: (0..<100).map { Double($0) }, color: colour)
        many.x = nil
        let c = CurvePlot(title: "t", panels: [.init(title: "p", series: [many])]).render()
        // No markers for 100 points, a thick line across the plot instead.
        XCTAssertGreaterThan(count(c, colour), 400)
    }

    func testNiceAxis() {
        let a = CurvePlot.niceAxis(lo: 0.17, hi: 2.7, targetTicks: 6, integerSteps: false, expand: true)
        XCTAssertEqual(a.lo, 0)
        XCTAssertEqual(a.hi, 3)
        XCTAssertEqual(a.ticks, [0, 0.5, 1, 1.5, 2, 2.5, 3])
        let e = CurvePlot.niceAxis(lo: 1, hi: 1, targetTicks: 6, integerSteps: true, expand: false)
        XCTAssertEqual(e.ticks, [0, 1, 2])
        XCTAssertEqual(e.decimals, 0)
    }

    func testTrainingHelperBuildsTwoPanels() {
        let p = CurvePlot.training(title: "t", trainLoss: [2, 1], valLoss: [2.1, 1.2], trainAccuracy: [0.3, 0.6], valTop1: [0.25, 0.5])
        XCTAssertEqual(p.panels.count, 2)
        XCTAssertEqual(p.panels[0].series.count, 2)
        XCTAssertEqual(p.panels[1].series.map(\.name), ["train acc", "val top-1"])
        XCTAssertEqual(p.panels[1].series[1].values, [25, 50])
    }
}

final class PredictionGridTests: XCTestCase {
    func item(_ t: String, _ p: String, channels: Int = 3, size: Int = 8) -> PredictionGrid.Item {
        let v = [Float](repeating: 0, count: channels * size * size) // mean 0.5 → mid-gray
        return .init(chw: v, channels: channels, height: size, width: size, mean: [0.5],
                     trueLabel: t, predictedLabel: p, confidence: 0.87)
    }

    func testWrongPredictionGetsRedBorderRightOneGreen() {
        let grid = PredictionGrid(items: [item("cat", "dog"), item("cat", "cat", channels: 1, size: 28)], columns: 2, cellSize: 64)
        let c = grid.render()
        let wrong = grid.frameRect(0), right = grid.frameRect(1)
        for r in [wrong, right] {
            XCTAssertLessThanOrEqual(r.x + r.width, c.width)
            XCTAssertLessThanOrEqual(r.y + r.height, c.height)
        }
        for (x, y) in [(wrong.x, wrong.y), (wrong.x + wrong.width - 1, wrong.y + wrong.height / 2),
                       (wrong.x + wrong.width / 2, wrong.y + wrong.height - 1), (wrong.x + 2, wrong.y + 30)] {
            XCTAssertEqual(c.pixel(x: x, y: y), PredictionGrid.wrongColor)
        }
        for (x, y) in [(right.x, right.y), (right.x + right.width - 1, right.y + right.height - 1)] {
            XCTAssertEqual(c.pixel(x: x, y: y), PredictionGrid.correctColor)
        }
        // The image (mid-gray after adding the mean back) fills the centre of the cell.
        XCTAssertEqual(c.pixel(x: wrong.x + wrong.width / 2, y: wrong.y + wrong.height / 2), Color(128, 128, 128))
        // An 8 px image is upscaled by 8 to exactly fill the 64 px cell.
        XCTAssertEqual(c.pixel(x: wrong.x + grid.borderWidth, y: wrong.y + grid.borderWidth), Color(128, 128, 128))
    }

    func testCaptionIsDrawnUnderTheCell() {
        let grid = PredictionGrid(items: [item("cat", "dog")], columns: 1, cellSize: 96)
        let c = grid.render()
        let f = grid.frameRect(0)
        var ink = 0
        for y in (f.y + f.height)..<c.height { for x in 0..<c.width where c.pixel(x: x, y: y) != .white { ink += 1 } }
        XCTAssertGreaterThan(ink, 100)
        XCTAssertEqual(grid.items[0].caption, "true: cat / pred: dog (87%)")
    }

    func testManyItemsWrapIntoRows() {
        let grid = PredictionGrid(items: (0..<10).map { _ in item("a", "a") }, columns: 4, cellSize: 32)
        XCTAssertEqual(grid.frameRect(4).x, grid.frameRect(0).x)
        XCTAssertGreaterThan(grid.frameRect(4).y, grid.frameRect(3).y)
        let c = grid.render()
        let last = grid.frameRect(9)
        XCTAssertLessThanOrEqual(last.y + last.height, c.height)
    }
}
