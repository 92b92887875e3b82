import Support
import XCTest
@testable import Reports

/// Pixels of `c` that differ from `background`.
func inkPixels(_ c: Canvas, background: Color = .white) -> [(x: Int, y: Int)] {
    var out: [(x: Int, y: Int)] = []
    for y in 0..<c.height { for x in 0..<c.width where c.pixel(x: x, y: y) != background { out.append((x, y)) } }
    return out
}

final class CanvasTests: XCTestCase {
    func testNewCanvasIsFilledWithBackground() {
        let c = Canvas(width: 3, height: 2, background: Color(9, 8, 7))
        XCTAssertEqual(c.pixels.count, 18)
        XCTAssertTrue(inkPixels(c, background: Color(9, 8, 7)).isEmpty)
    }

    func testFillRectSetsExactlyTheRectangleAndClips() {
        var c = Canvas(width: 10, height: 8)
        c.fillRect(x: 2, y: 3, width: 4, height: 2, color: .black)
        let ink = inkPixels(c)
        XCTAssertEqual(ink.count, 8)
        XCTAssertTrue(ink.allSatisfy { $0.x >= 2 && $0.x < 6 && $0.y >= 3 && $0.y < 5 })
        c.fillRect(x: -5, y: -5, width: 7, height: 6, color: .red) // covers (0..1, 0)
        XCTAssertEqual(c.pixel(x: 0, y: 0), .red)
        XCTAssertEqual(c.pixel(x: 1, y: 0), .red)
        XCTAssertEqual(c.pixel(x: 2, y: 0), .white)
        XCTAssertEqual(c.pixel(x: 0, y: 1), .white)
        c.fillRect(x: 50, y: 50, width: 3, height: 3, color: .red) // fully outside: no crash, no change
        XCTAssertEqual(inkPixels(c).count, 10)
    }

    func testStrokeRectDrawsBorderOnly() {
        var c = Canvas(width: 10, height: 10)
        c.strokeRect(x: 1, y: 1, width: 6, height: 5, color: .black, thickness: 1)
        XCTAssertEqual(inkPixels(c).count, 2 * 6 + 2 * 3)
        XCTAssertEqual(c.pixel(x: 1, y: 1), .black)
        XCTAssertEqual(c.pixel(x: 6, y: 5), .black)
        XCTAssertEqual(c.pixel(x: 3, y: 3), .white)
        var t = Canvas(width: 10, height: 10)
        t.strokeRect(x: 0, y: 0, width: 10, height: 10, color: .black, thickness: 2)
        XCTAssertEqual(inkPixels(t).count, 100 - 36)
        XCTAssertEqual(t.pixel(x: 1, y: 5), .black)
        XCTAssertEqual(t.pixel(x: 2, y: 5), .white)
    }

    func testLinesHitEndpointsAndHaveExpectedPixelCounts() {
        var c = Canvas(width: 20, height: 20)
        c.drawLine(x0: 2, y0: 5, x1: 12, y1: 5, color: .black)
        XCTAssertEqual(inkPixels(c).count, 11)
        var d = Canvas(width: 20, height: 20)
        d.drawLine(x0: 15, y0: 15, x1: 3, y1: 3, color: .black)
        let ink = inkPixels(d)
        XCTAssertEqual(ink.count, 13)
        XCTAssertTrue(ink.allSatisfy { $0.x == $0.y })
        var s = Canvas(width: 20, height: 20)
        s.drawLine(x0: 0, y0: 0, x1: 19, y1: 7, color: .black) // shallow: one pixel per column
        XCTAssertEqual(inkPixels(s).count, 20)
        XCTAssertEqual(s.pixel(x: 0, y: 0), .black)
        XCTAssertEqual(s.pixel(x: 19, y: 7), .black)
        var t = Canvas(width: 20, height: 20)
        t.drawLine(x0: 5, y0: 10, x1: 14, y1: 10, color: .black, thickness: 3)
        XCTAssertEqual(inkPixels(t).count, 3 * 12)
        XCTAssertEqual(t.pixel(x: 9, y: 9), .black)
        XCTAssertEqual(t.pixel(x: 9, y: 11), .black)
        XCTAssertEqual(t.pixel(x: 9, y: 12), .white)
    }

    func testClipRectRestrictsDrawing() {
        var c = Canvas(width: 10, height: 10)
        c.clipRect = Canvas.Rect(x: 2, y: 2, width: 3, height: 3)
        c.fill(.black)
        XCTAssertEqual(inkPixels(c).count, 9)
        c.clipRect = nil
        c.setPixel(x: 9, y: 9, .black)
        XCTAssertEqual(c.pixel(x: 9, y: 9), .black)
    }

    func testDrawImageUpscalesNearestNeighbour() {
        // 2x2 RGB image (CHW planes): red, blue / green, white; drawn 3x.
        let img = PixelImage(width: 2, height: 2, channels: 3,
                             values: [1, 0, 0, 1, /* G */ 0, 0, 1, 1, /* B */ 0, 1, 0, 1], layout: .chw)
        var c = Canvas(width: 10, height: 8, background: .black)
        c.drawImage(img, x: 1, y: 1, scale: 3)
        let expected: [[Color]] = [[Color(255, 0, 0), Color(0, 0, 255)], [Color(0, 255, 0), .white]]
        for y in 0..<6 {
            for x in 0..<6 { XCTAssertEqual(c.pixel(x: 1 + x, y: 1 + y), expected[y / 3][x / 3], "(\(x), \(y))") }
        }
        XCTAssertEqual(inkPixels(c, background: .black).count, 36)
        // Downscaling to a 1x1 box samples the top-left pixel.
        var d = Canvas(width: 1, height: 1)
        d.drawImage(img, x: 0, y: 0, width: 1, height: 1)
        XCTAssertEqual(d.pixel(x: 0, y: 0), Color(255, 0, 0))
    }

    func testGrayAndByteImagesAndMeanAddBack() {
        let gray = PixelImage(width: 2, height: 1, channels: 1, bytes: [0, 255])
        var c = Canvas(width: 4, height: 2, background: .red)
        c.drawImage(gray, x: 0, y: 0, width: 4, height: 2)
        XCTAssertEqual(c.pixel(x: 1, y: 1), .black)
        XCTAssertEqual(c.pixel(x: 2, y: 0), .white)
        // Mean-subtracted 0...255 data comes back to the original colour.
        let centred = PixelImage(width: 1, height: 1, channels: 3, values: [-100, 0, 50], layout: .chw,
                                 mean: [125, 128, 100], maxValue: 255)
        XCTAssertEqual(centred.color(x: 0, y: 0), Color(25, 128, 150))
        // Out-of-range values clamp.
        let wild = PixelImage(width: 1, height: 1, channels: 1, values: [3])
        XCTAssertEqual(wild.color(x: 0, y: 0), .white)
    }

    func testTextInkLiesWithinMeasuredBounds() {
        var c = Canvas(width: 200, height: 60)
        let text = "Hello, VGG-16: 93.1% (jpq)"
        let box = c.drawText(text, x: 7, y: 9, color: .black, scale: 1)
        let size = Canvas.textSize(text)
        XCTAssertEqual(box, Canvas.Rect(x: 7, y: 9, width: size.width, height: size.height))
        XCTAssertEqual(size.width, text.count * 6 - 1)
        let ink = inkPixels(c)
        XCTAssertGreaterThan(ink.count, 50)
        XCTAssertTrue(ink.allSatisfy { box.contains(x: $0.x, y: $0.y) })
        // The ink reaches the left, top, right and bottom edges of the box ('H', ')', 'j').
        XCTAssertEqual(ink.map(\.x).min(), box.x)
        XCTAssertEqual(ink.map(\.y).min(), box.y)
        XCTAssertEqual(ink.map(\.y).max(), box.y + box.height - 1)
        XCTAssertLessThanOrEqual(ink.map(\.x).max()!, box.x + box.width - 1)
    }

    func testScaledCenteredAndMultilineText() {
        var c = Canvas(width: 200, height: 80)
        let box = c.drawText("AB\ncdef", x: 100, y: 5, color: .blue, scale: 3, align: .center)
        XCTAssertEqual(box.width, (4 * 6 - 1) * 3)
        XCTAssertEqual(box.height, (10 + 8) * 3)
        XCTAssertEqual(box.x, 100 - box.width / 2)
        let ink = inkPixels(c)
        XCTAssertFalse(ink.isEmpty)
        XCTAssertTrue(ink.allSatisfy { box.contains(x: $0.x, y: $0.y) })
        XCTAssertTrue(ink.allSatisfy { c.pixel(x: $0.x, y: $0.y) == .blue })
    }

    func testVerticalTextFitsRotatedBox() {
        var c = Canvas(width: 40, height: 80)
        c.drawTextVertical("true", x: 5, y: 10, color: .black)
        let size = Canvas.textSize("true")
        let ink = inkPixels(c)
        XCTAssertFalse(ink.isEmpty)
        XCTAssertTrue(ink.allSatisfy { $0.x >= 5 && $0.x < 5 + size.height && $0.y >= 10 && $0.y < 10 + size.width })
    }

    func testTruncateFitsWidth() {
        let s = BitmapFont.truncate("automobile", toWidth: 40)
        XCTAssertLessThanOrEqual(BitmapFont.width(of: s), 40)
        XCTAssertTrue(s.hasSuffix("~"))
        XCTAssertEqual(BitmapFont.truncate("cat", toWidth: 40), "cat")
    }

    func testColormapEndsAndContrast() {
        XCTAssertEqual(Colormap.whiteToBlue.color(at: 0), .white)
        XCTAssertEqual(Colormap.whiteToBlue.color(at: 1), Color(hex: 0x08306B))
        XCTAssertEqual(Colormap.viridis.color(at: 0), Color(hex: 0x440154))
        XCTAssertEqual(Colormap.viridis.color(at: 2), Color(hex: 0xFDE725))
        XCTAssertEqual(Colormap.gray.color(at: .nan), .black)
        XCTAssertEqual(Color.white.contrastingText, .black)
        XCTAssertEqual(Color(hex: 0x08306B).contrastingText, .white)
    }

    func testFormatting() {
        XCTAssertEqual(formatFixed(3.14159, decimals: 2), "3.14")
        XCTAssertEqual(formatFixed(-0.5, decimals: 0), "-1")
        XCTAssertEqual(formatFixed(-0.001, decimals: 2), "0.00")
        XCTAssertEqual(formatFixed(2.5, decimals: 1), "2.5")
        XCTAssertEqual(formatPercent(0.9312, decimals: 1), "93.1%")
        XCTAssertEqual(formatFixed(.nan, decimals: 2), "nan")
        XCTAssertEqual(decimalsFor(step: 0.25), 2)
        XCTAssertEqual(decimalsFor(step: 5), 0)
    }
}
