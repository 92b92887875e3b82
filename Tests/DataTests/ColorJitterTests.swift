import Data
import Support
import XCTest

/// Colour jitter against torchvision's own adjustments (numbers by
/// tools/make_color_jitter_fixture.py), the option's parsing, and the random factors' ranges.
final class ColorJitterTests: XCTestCase {
    enum Torchvision {
    static let input: [Float] = [0.1, 0.2, 0.3, 0.9, 0.1, 0.1, 0.5, 0.5, 0.5, 0.0, 0.8, 0.4, 0.7, 0.6, 0.05, 0.25, 0.75, 0.95, 1.0, 1.0, 0.0, 0.33, 0.12, 0.66, 0.05, 0.05, 0.9, 0.6, 0.3, 0.8, 0.45, 0.9, 0.15, 0.8, 0.8, 0.81]
    // adjust_brightness(1.3)
    static let brightness1_3: [Float] = [0.13, 0.26, 0.39, 1.0, 0.13, 0.13, 0.65, 0.65, 0.65, 0.0, 1.0, 0.52, 0.91, 0.78, 0.065, 0.325, 0.975, 1.0, 1.0, 1.0, 0.0, 0.429, 0.156, 0.858, 0.065, 0.065, 1.0, 0.78, 0.39, 1.0, 0.585, 1.0, 0.195, 1.0, 1.0, 1.0]
    // adjust_contrast(0.6)
    static let contrast0_6: [Float] = [0.2576957, 0.3176957, 0.3776957, 0.7376958, 0.2576957, 0.2576957, 0.4976957, 0.4976957, 0.4976957, 0.1976957, 0.6776958, 0.4376957, 0.6176957, 0.5576957, 0.2276957, 0.3476958, 0.6476958, 0.7676957, 0.7976958, 0.7976958, 0.1976957, 0.3956957, 0.2696958, 0.5936958, 0.2276957, 0.2276957, 0.7376958, 0.5576957, 0.3776957, 0.6776958, 0.4676958, 0.7376958, 0.2876958, 0.6776958, 0.6776958, 0.6836958]
    // adjust_saturation(1.7)
    static let saturation1_7: [Float] = [0.042957, 0.212957, 0.382957, 1.0, 0.0, 0.0, 0.500035, 0.500035, 0.500035, 0.0, 0.99936, 0.31936, 0.793009, 0.6230091, 0.0, 0.0, 0.8387076, 1.0, 1.0, 1.0, 0.0, 0.3899781, 0.0329781, 0.9509782, 0.0, 0.0, 1.0, 0.7073521, 0.1973521, 1.0, 0.2890665, 1.0, 0.0, 0.799258, 0.799258, 0.8162581]
    // adjust_hue(0.23)
    static let hue0_23: [Float] = [0.2759999, 0.1, 0.3, 0.596, 0.9, 0.1, 0.5, 0.5, 0.5, 0.0, 0.0960001, 0.8, 0.05, 0.7, 0.1970002, 0.7160003, 0.25, 0.95, 0.0, 1.0, 0.3799999, 0.66, 0.12, 0.2447997, 0.9, 0.05, 0.5769995, 0.8, 0.3, 0.31, 0.15, 0.9, 0.885, 0.81, 0.8, 0.8062]
    // adjust_hue(-0.4)
    static let hueMinus0_4: [Float] = [0.2800001, 0.3, 0.1, 0.1, 0.4199999, 0.9, 0.5, 0.5, 0.5, 0.8, 0.0799998, 0.0, 0.3400002, 0.05, 0.7, 0.95, 0.8700002, 0.25, 0.5999999, 0.0, 1.0, 0.1259998, 0.66, 0.12, 0.3899997, 0.9, 0.05, 0.3, 0.8, 0.3999999, 0.9, 0.15, 0.7500001, 0.804, 0.81, 0.8]
    }

    private let image = FloatImage(width: 4, height: 3, channels: 3, pixels: Torchvision.input)

    private func assertClose(_ a: FloatImage, _ b: [Float], _ what: String, tolerance: Float = 2e-6) {
        XCTAssertEqual(a.pixels.count, b.count, what)
        for (i, (x, y)) in zip(a.pixels, b).enumerated() {
            XCTAssertEqual(x, y, accuracy: tolerance, "\(what) at \(i)")
        }
    }

    func testAdjustmentsMatchTorchvision() {
        assertClose(ColorJitter.adjustBrightness(image, 1.3), Torchvision.brightness1_3, "brightness")
        assertClose(ColorJitter.adjustContrast(image, 0.6), Torchvision.contrast0_6, "contrast")
        assertClose(ColorJitter.adjustSaturation(image, 1.7), Torchvision.saturation1_7, "saturation")
        assertClose(ColorJitter.adjustHue(image, 0.23), Torchvision.hue0_23, "hue +0.23", tolerance: 1e-5)
        assertClose(ColorJitter.adjustHue(image, -0.4), Torchvision.hueMinus0_4, "hue -0.4", tolerance: 1e-5)
    }

    func testOneChannelImagesKeepSaturationAndHue() {
        let grey = FloatImage(width: 2, height: 1, channels: 1, pixels: [0.2, 0.7])
        XCTAssertEqual(ColorJitter.adjustSaturation(grey, 0.1), grey)
        XCTAssertEqual(ColorJitter.adjustHue(grey, 0.3), grey)
        // Contrast blends with the mean level (0.45).
        XCTAssertEqual(ColorJitter.adjustContrast(grey, 0.5).pixels[0], 0.325, accuracy: 1e-6)
    }

    func testParsingAndRanges() throws {
        XCTAssertEqual(try ColorJitter(parsing: "0.4,0.4,0.4,0.1"), ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1))
        XCTAssertEqual(try ColorJitter(parsing: "0.2"), ColorJitter(brightness: 0.2))
        for bad in ["", "x", "0.1,0.2,0.3,0.6", "-1", "1,2,3,0.1,5"] {
            XCTAssertThrowsError(try ColorJitter(parsing: bad), bad)
        }
        // Brightness alone: every pixel scaled by one factor in [0.6, 1.4] (then clamped).
        let jitter = ColorJitter(brightness: 0.4)
        var rng = Xoshiro256(seed: 5)
        var factors: [Float] = []
        for _ in 0..<200 {
            let out = try jitter.apply(image, using: &rng)
            let f = out.pixels[0] / image.pixels[0]
            XCTAssertTrue((0.6 - 1e-5...1.4 + 1e-5).contains(f))
            for (x, y) in zip(out.pixels, image.pixels) { XCTAssertEqual(x, min(y * f, 1), accuracy: 1e-5) }
            factors.append(f)
        }
        XCTAssertLessThan(factors.min()!, 0.65)
        XCTAssertGreaterThan(factors.max()!, 1.35)
        // Seeded: the same generator state gives the same image.
        var a = Xoshiro256(seed: 9), b = Xoshiro256(seed: 9)
        let full = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1)
        XCTAssertEqual(try full.apply(image, using: &a), try full.apply(image, using: &b))
    }
}
