import Foundation
import Tensors
import XCTest

/// `BFloat16.rounded` against hand-picked cases and against an independent formulation in
/// Double (the nearest of the two neighbouring bf16 values, ties to the even mantissa).
final class BFloat16Tests: XCTestCase {
    /// The bf16 rounding of `x` computed without bit tricks: the two bf16 neighbours of the
    /// finite, non-NaN float `x` (truncation and the next bf16 up in magnitude), chosen by
    /// their distance in Double; a tie goes to the even bf16 mantissa, and a value at or past
    /// the midpoint between the largest bf16 and 2^128 goes to infinity.
    private func independentlyRounded(_ x: Float) -> Float {
        let truncatedBits = x.bitPattern & 0xFFFF_0000
        let low = Float(bitPattern: truncatedBits)
        if low == x { return x }
        let highBits = truncatedBits &+ 0x0001_0000           // next bf16 away from zero
        let high = Float(bitPattern: highBits)                  // may be ±∞ (exponent carries)
        let dLow = abs(Double(x) - Double(low))
        let dHigh: Double = high.isInfinite
            ? abs(Double(x) - Double(sign: x.sign, exponent: 128, significand: 1))
            : abs(Double(x) - Double(high))
        if dLow < dHigh { return low }
        if dHigh < dLow { return high }
        return (truncatedBits >> 16) & 1 == 0 ? low : high
    }

    func testTiesGoToTheEvenMantissa() {
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: the even one (1) wins.
        XCTAssertEqual(BFloat16.rounded(1 + 0x1p-8), 1)
        // 1 + 3·2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        XCTAssertEqual(BFloat16.rounded(1 + 3 * 0x1p-8), 1 + 0x1p-6)
        // Just past a tie rounds up.
        XCTAssertEqual(BFloat16.rounded(Float(bitPattern: 0x3F80_8001)), 1 + 0x1p-7)
        XCTAssertEqual(BFloat16.rounded(-(1 + 0x1p-8)), -1)
        XCTAssertEqual(BFloat16.bits(1), 0x3F80)
        XCTAssertEqual(BFloat16.value(0x3F80), 1)
    }

    func testSpecialValues() {
        XCTAssertEqual(BFloat16.rounded(.infinity), .infinity)
        XCTAssertEqual(BFloat16.rounded(-.infinity), -.infinity)
        XCTAssertEqual(BFloat16.rounded(.greatestFiniteMagnitude), .infinity, "float32's largest is past bf16's last midpoint")
        XCTAssertEqual(BFloat16.rounded(-.greatestFiniteMagnitude), -.infinity)
        let largestBF16 = Float(bitPattern: 0x7F7F_0000)
        XCTAssertEqual(BFloat16.rounded(largestBF16), largestBF16)
        XCTAssertEqual(BFloat16.rounded(Float(bitPattern: 0x7F7F_7FFF)), largestBF16, "below the midpoint stays finite")
        XCTAssertEqual(BFloat16.rounded(Float(bitPattern: 0x7F7F_8000)), .infinity, "the tie goes to the even side, ∞")
        XCTAssertEqual(BFloat16.rounded(0).bitPattern, 0)
        XCTAssertEqual(BFloat16.rounded(-0.0).bitPattern, 0x8000_0000)
        // Subnormals: the smallest float32 subnormal is below half of bf16's smallest (2^-133).
        XCTAssertEqual(BFloat16.rounded(.leastNonzeroMagnitude), 0)
        XCTAssertEqual(BFloat16.rounded(Float(bitPattern: 0x0000_8000)), 0, "tie to even: 0")
        XCTAssertEqual(BFloat16.rounded(Float(bitPattern: 0x0001_8000)).bitPattern, 0x0002_0000, "tie to even: up")
        XCTAssertEqual(BFloat16.rounded(Float(bitPattern: 0x007F_FFFF)).bitPattern, 0x0080_0000, "largest subnormal rounds to the smallest normal")
        for nan in [Float.nan, -Float.nan, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFF80_0001), Float(bitPattern: 0x7FC0_0000)] {
            let b = BFloat16.bits(nan)
            XCTAssertTrue(BFloat16.value(b).isNaN, "\(nan.bitPattern) stays NaN")
            XCTAssertEqual(b & 0x0040, 0x0040, "quiet")
            XCTAssertEqual(b >> 15, UInt16(nan.bitPattern >> 31), "sign kept")
        }
    }

    func testAgreesWithTheIndependentFormulationOnManyBitPatterns() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var checked = 0
        func check(_ bits: UInt32) {
            let x = Float(bitPattern: bits)
            if x.isNaN { return }
            let expected = x.isInfinite ? x : independentlyRounded(x)
            let got = BFloat16.rounded(x)
            if got.bitPattern != expected.bitPattern {
                XCTFail("0x\(String(bits, radix: 16)): got 0x\(String(got.bitPattern, radix: 16)), expected 0x\(String(expected.bitPattern, radix: 16))")
            }
            checked += 1
        }
        for _ in 0..<1_000_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            check(UInt32(truncatingIfNeeded: state >> 32))
        }
        // Every low half around the ties, for a spread of high halves (signs, subnormal, ±∞ neighbours).
        for high: UInt32 in [0x0000, 0x0001, 0x3F80, 0x3F81, 0x7F7F, 0x7F7E, 0x8000, 0xBF80, 0xFF7F] {
            for low: UInt32 in stride(from: 0, through: 0xFFFF, by: 7) { check(high << 16 | low) }
            for low: UInt32 in 0x7FF0...0x8010 { check(high << 16 | low) }
        }
        XCTAssertGreaterThan(checked, 1_000_000)
    }

    func testPrecisionFromTheEnvironment() throws {
        XCTAssertEqual(try Precision.fromEnvironment([:]), .fp32)
        XCTAssertEqual(try Precision.fromEnvironment(["VGG_PRECISION": "BF16"]), .bf16)
        XCTAssertThrowsError(try Precision.fromEnvironment(["VGG_PRECISION": "fp16"])) { error in
            XCTAssertTrue("\(error)".contains("VGG_PRECISION=fp16"), "\(error)")
        }
    }
}
