import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Support
import XCTest
@testable import Reports

/// A rendered PNG, decoded: its size and its pixels.
struct DecodedPlot {
    let image: PNGFile.Image
    init(_ bytes: [UInt8]) throws { image = try PNGFile.decode(bytes) }
    var width: Int { image.width }
    var height: Int { image.height }
    func pixel(_ x: Int, _ y: Int) -> Color {
        let i = (y * image.width + x) * 3
        return Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
    }
    /// How many pixels of `rect` are within `tolerance` (per channel) of `colour`.
    func count(_ colour: Color, in rect: PlotRect, tolerance: Int = 0) -> Int {
        var n = 0
        for y in max(0, rect.y)..<min(height, rect.y + rect.height) {
            for x in max(0, rect.x)..<min(width, rect.x + rect.width) {
                let p = pixel(x, y)
                if abs(Int(p.r) - Int(colour.r)) <= tolerance && abs(Int(p.g) - Int(colour.g)) <= tolerance
                    && abs(Int(p.b) - Int(colour.b)) <= tolerance { n += 1 }
            }
        }
        return n
    }
}

/// An SVG document, parsed as XML: its size and the strings of its `<text>` elements.
struct ParsedSVG {
    var width = "", height = ""
    var texts: [String] = []

    init(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        final class Collector: NSObject, XMLParserDelegate {
            var width = "", height = "", texts: [String] = [], current: String?
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "svg" { width = attributes["width"] ?? ""; height = attributes["height"] ?? "" }
                if name == "text" { current = "" }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "text", let c = current { texts.append(c); current = nil }
            }
        }
        let parser = XMLParser(data: Data(bytes))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        (width, height, texts) = (collector.width, collector.height, collector.texts)
    }
}

final class ConfusionMatrixPlotTests: XCTestCase {
    static let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    func perfect(_ n: Int, perClass: Int = 100) -> [[Int]] {
        (0..<n).map { t in (0..<n).map { $0 == t ? perClass : 0 } }
    }

    func testPNGHasTheSizeAndTheCellColours() throws {
        var counts = perfect(10)
        counts[3][5] = 40; counts[3][3] = 60
        let plot = ConfusionMatrixPlot(counts: counts, classNames: Self.names, title: "perfect")
        let png = try DecodedPlot(try plot.encoded(as: .png))
        XCTAssertEqual(png.width, plot.size.width)
        XCTAssertEqual(png.height, plot.size.height)
        XCTAssertTrue((600...1000).contains(png.width), "width \(png.width)")
        let maxColour = plot.colormap.color(at: 1), minColour = plot.colormap.color(at: 0)
        for i in 0..<10 where i != 3 {
            let d = plot.cellRect(row: i, column: i)
            XCTAssertGreaterThanOrEqual(d.width, 40, "10 classes should get roomy cells")
            // Corners of the cell, away from the printed count and the grid lines.
            XCTAssertEqual(png.pixel(d.x + 2, d.y + 2), maxColour, "diagonal cell \(i)")
            XCTAssertEqual(png.pixel(d.x + d.width - 3, d.y + d.height - 3), maxColour)
            let o = plot.cellRect(row: i, column: (i + 1) % 10)
            XCTAssertEqual(png.pixel(o.x + 2, o.y + 2), minColour)
        }
        let partial = plot.cellRect(row: 3, column: 5)
        XCTAssertEqual(png.pixel(partial.x + 2, partial.y + 2), plot.colormap.color(at: 0.4))
        // The count "100" is printed in a diagonal cell in a contrasting colour: ink in the middle of the cell.
        let d = plot.cellRect(row: 0, column: 0)
        XCTAssertGreaterThan(png.count(maxColour.contrastingText, in: d, tolerance: 40), 10)
        XCTAssertGreaterThan(plot.cellRect(row: 0, column: 0).x, textWidth("1 automobile")) // room for row labels
    }

    func testSVGIsXMLWithTheTitleClassNamesAndEveryCount() throws {
        var counts = perfect(10, perClass: 97)
        counts[2][4] = 3; counts[7][1] = 12
        let plot = ConfusionMatrixPlot(counts: counts, classNames: Self.names, title: "Confusion matrix, top-1 97.15 % & <more>")
        let svg = try ParsedSVG(try plot.encoded(as: .svg))
        XCTAssertEqual(svg.width, "\(plot.size.width)px")
        XCTAssertEqual(svg.height, "\(plot.size.height)px")
        XCTAssertTrue(svg.texts.contains("Confusion matrix, top-1 97.15 % & <more>"), "\(svg.texts)")
        XCTAssertTrue(svg.texts.contains("1 automobile"), "\(svg.texts)")
        XCTAssertTrue(svg.texts.contains("predicted") && svg.texts.contains("true"))
        // Every non-zero cell's count, as text: ten 97s, a 3 and a 12 (the diagonal keeps 97, row 2 and 7 too).
        XCTAssertTrue(plot.printsCounts)
        XCTAssertEqual(svg.texts.filter { $0 == "97" }.count, 10)
        XCTAssertEqual(svg.texts.filter { $0 == "3" }.count, 2) // the count, and the row/column index 3 ...
        XCTAssertTrue(svg.texts.contains("12"))
    }

    func testRowNormalisationAndAccuracy() {
        let plot = ConfusionMatrixPlot(counts: [[3, 1], [0, 0]])
        XCTAssertEqual(plot.rowNormalized, [[0.75, 0.25], [0, 0]])
        XCTAssertEqual(plot.accuracy, 0.75)
    }

    func testHundredClassesDegradeGracefully() throws {
        var counts = perfect(100, perClass: 7)
        counts[5][6] = 3
        let plot = ConfusionMatrixPlot(counts: counts, classNames: (0..<100).map { "class number \($0)" })
        XCTAssertFalse(plot.printsCounts)
        let png = try DecodedPlot(try plot.encoded())
        XCTAssertLessThanOrEqual(png.width, 1200)
        let last = plot.cellRect(row: 99, column: 99)
        XCTAssertLessThanOrEqual(last.x + last.width, png.width)
        XCTAssertEqual(png.pixel(last.x + last.width / 2, last.y + last.height / 2), plot.colormap.color(at: 1))
        let svg = try ParsedSVG(try plot.encoded(as: .svg))
        XCTAssertFalse(svg.texts.contains("7"), "counts do not fit in 8 px cells")
    }
}

final class CurvePlotTests: XCTestCase {
    func testCurvesDrawTheirColoursInsideThePlotAreaOnly() throws {
        let p = CurvePlot.training(title: "VGG-A", trainLoss: [2.3, 1.4, 0.9, 0.7], valLoss: [2.2, 1.5, 1.1, 1.0],
                                   trainAccuracy: [0.3, 0.6, 0.7, 0.8], valTop1: [0.25, 0.5, 0.6, 0.65])
        let png = try DecodedPlot(try p.encoded())
        XCTAssertEqual(png.width, p.size.width)
        XCTAssertEqual(png.height, p.size.height)
        // Each panel's area holds many pixels of its two curve colours (lines 2 px wide, markers).
        for i in 0..<2 {
            let panel = PlotRect(x: CurvePlot.margin + i * p.panelWidth, y: 0, width: p.panelWidth, height: png.height)
            XCTAssertGreaterThan(png.count(.blue, in: panel, tolerance: 10), 300, "panel \(i)")
            XCTAssertGreaterThan(png.count(.orange, in: panel, tolerance: 10), 300, "panel \(i)")
        }
        // The title's band has ink but none of the curve colours.
        let titleBand = PlotRect(x: 0, y: 0, width: png.width, height: CurvePlot.margin + 18)
        XCTAssertEqual(png.count(.blue, in: titleBand, tolerance: 10), 0)
        XCTAssertGreaterThan(png.count(.black, in: titleBand, tolerance: 100), 50)
    }

    func testSVGHasTitlesLabelsAndLegend() throws {
        let p = CurvePlot(title: "run 7", panels: [
            .init(title: "loss", yLabel: "loss", series: [.init(name: "train loss", values: [2, .nan, 1]), .init(name: "val loss", values: [.nan, .nan])]),
            .init(title: "empty", series: []),
        ])
        let svg = try ParsedSVG(try p.encoded(as: .svg))
        for t in ["run 7", "loss", "epoch", "train loss (1 NaN skipped)", "val loss (no data)", "no data"] {
            XCTAssertTrue(svg.texts.contains(t), "'\(t)' not in \(svg.texts)")
        }
    }

    func testSinglePointsAndExtremesRender() throws {
        for values in [[5.0], [1e30, -1e30, 0], [3, 3, 3], [.infinity, 1]] {
            let p = CurvePlot(title: "", panels: [.init(title: "x", series: [.init(name: "s", values: values, color: .red)])])
            let png = try DecodedPlot(try p.encoded())
            XCTAssertGreaterThan(png.count(.red, in: PlotRect(x: 0, y: 0, width: png.width, height: png.height), tolerance: 10), 20, "\(values)")
        }
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

    func testFramesImagesAndCaptions() throws {
        let grid = PredictionGrid(items: [item("cat", "dog"), item("cat", "cat", channels: 1, size: 28)], columns: 2, cellSize: 64)
        let png = try DecodedPlot(try grid.encoded())
        XCTAssertEqual(png.width, grid.size.width)
        XCTAssertEqual(png.height, grid.size.height)
        let wrong = grid.frameRect(0), right = grid.frameRect(1)
        for (x, y) in [(wrong.x, wrong.y), (wrong.x + wrong.width - 1, wrong.y + wrong.height / 2),
                       (wrong.x + wrong.width / 2, wrong.y + wrong.height - 1), (wrong.x + 1, wrong.y + 30)] {
            XCTAssertEqual(png.pixel(x, y), PredictionGrid.wrongColor)
        }
        for (x, y) in [(right.x, right.y), (right.x + right.width - 1, right.y + right.height - 1)] {
            XCTAssertEqual(png.pixel(x, y), PredictionGrid.correctColor)
        }
        // The image (mid-gray after adding the mean back), upscaled by 8 to fill the 64 px cell.
        XCTAssertEqual(png.pixel(wrong.x + wrong.width / 2, wrong.y + wrong.height / 2), Color(128, 128, 128))
        XCTAssertEqual(png.pixel(wrong.x + grid.borderWidth, wrong.y + grid.borderWidth), Color(128, 128, 128))
        // Captions: ink under the cells, and the words in the SVG.
        let below = PlotRect(x: 0, y: wrong.y + wrong.height, width: png.width, height: png.height - wrong.y - wrong.height)
        XCTAssertGreaterThan(below.width * below.height - png.count(.white, in: below), 100)
        let roomy = PredictionGrid(items: [item("cat", "dog")], columns: 1, cellSize: 96)
        let svg = try ParsedSVG(try roomy.encoded(as: .svg))
        XCTAssertEqual(svg.texts, ["true: cat", "pred: dog (87%)"])
        XCTAssertEqual(grid.items[0].caption, "true: cat / pred: dog (87%)")
    }

    func testManyItemsWrapIntoRows() throws {
        let grid = PredictionGrid(items: (0..<10).map { _ in item("a", "a") }, columns: 4, cellSize: 32)
        XCTAssertEqual(grid.frameRect(4).x, grid.frameRect(0).x)
        XCTAssertGreaterThan(grid.frameRect(4).y, grid.frameRect(3).y)
        let last = grid.frameRect(9)
        let png = try DecodedPlot(try grid.encoded())
        XCTAssertLessThanOrEqual(last.y + last.height, png.height)
        XCTAssertEqual(png.pixel(last.x, last.y), PredictionGrid.correctColor)
    }

    func testPlotFormatNamesFiles() {
        XCTAssertEqual(PlotFormat.svg.fileName("confusion.png"), "confusion.svg")
        XCTAssertEqual(PlotFormat.png.fileName("runs/a.b/curves.png"), "runs/a.b/curves.png")
        XCTAssertEqual(PlotFormat.svg.fileName("runs/a.b/curves"), "runs/a.b/curves.svg")
    }
}
