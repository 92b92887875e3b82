import CMPIShim
import Tensors
import XCTest

/// The bfloat16 conversions and sum of `--allreduce-dtype bfloat16` (bf16.c), on every
/// instruction set this CPU has (AVX-512, AVX2, plain C), against a reference that rounds by
/// comparing distances in Double, not by the bit trick the kernels use (and which equals
/// `BFloat16.bits`, the rounding of `Precision.bf16`). scripts/bf16-exhaustive.c compares the
/// vector paths with the plain one on every input.
final class BFloat16ExchangeTests: XCTestCase {
    override func tearDown() { _ = vgg_bf16_limit(2) }

    /// The bfloat16 nearest to `x` (ties to the even mantissa), from the two neighbours' distances.
    private func nearest(_ x: Float) -> UInt16 {
        if x.isNaN { return UInt16(x.bitPattern >> 16) | 0x40 }
        let down = UInt16(x.bitPattern >> 16)                      // toward zero
        if x.bitPattern & 0xFFFF == 0 { return down }
        let up = down &+ 1                                         // away from zero: the next magnitude
        let magnitude = abs(Double(x))
        let low = abs(Double(Float(bitPattern: UInt32(down) << 16)))
        // Past the largest finite value the next is ±inf, which rounding treats as 2^128 (IEEE 754 §4.3.1).
        let high = up & 0x7FFF == 0x7F80 ? 0x1p128 : abs(Double(Float(bitPattern: UInt32(up) << 16)))
        if magnitude - low < high - magnitude { return down }
        if high - magnitude < magnitude - low { return up }
        return down & 1 == 0 ? down : up
    }

    private var levels: [Int32] { Array(0...vgg_bf16_limit(2)) }

    private func samples() -> [Float] {
        var values: [Float] = [0, -0, 1, -1, 1.00390625, 1.001953125, 1.005859375, 3.0e38, -3.0e38,
                               Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude,
                               .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                               .leastNormalMagnitude, Float(bitPattern: 0x0000_8000), Float(bitPattern: 0x0001_8000),
                               Float(bitPattern: 0x7F7F_7FFF), Float(bitPattern: 0x7F7F_8000), Float(bitPattern: 0x7F7F_8001),
                               Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0xFF80_0001), Float(bitPattern: 0x7F81_2345)]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { values.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &g))) }
        for _ in 0..<2_000 { values.append(Float.random(in: -1...1, using: &g)) }
        return values   // 20,000+ values: every loop's vector body and its tail run
    }

    func testRoundingIsToNearestEvenOnEveryInstructionSet() {
        let x = samples()
        let want = x.map(nearest)
        XCTAssertEqual(want, x.map(BFloat16.bits), "the reference differs from Precision.bf16's rounding")
        for level in levels {
            XCTAssertEqual(vgg_bf16_limit(level), level)
            var got = [UInt16](repeating: 0, count: x.count)
            vgg_bf16_from_floats(x, &got, x.count)
            for i in x.indices where got[i] != want[i] {
                XCTFail("level \(level): \(x[i]) (0x\(String(x[i].bitPattern, radix: 16))) gave 0x\(String(got[i], radix: 16)), want 0x\(String(want[i], radix: 16))")
                break
            }
        }
    }

    func testWideningIsExact() {
        let b = (0...UInt16.max).map { $0 }
        for level in levels {
            _ = vgg_bf16_limit(level)
            var f = [Float](repeating: 1, count: b.count)
            vgg_bf16_to_floats(b, &f, b.count)
            XCTAssertEqual(f.map { $0.bitPattern }, b.map { UInt32($0) << 16 }, "level \(level)")
        }
    }

    func testSumIsTheRoundedFloatSum() {
        var g = SystemRandomNumberGenerator()
        let n = 70_001   // not a multiple of 16: the tails run
        let a = (0..<n).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        let b0 = (0..<n).map { i in i % 3 == 0 ? a[i] ^ 0x8000 : UInt16.random(in: 0...UInt16.max, using: &g) }  // exact cancellations too
        let want = (0..<n).map { i -> UInt16 in
            let fa = Float(bitPattern: UInt32(a[i]) << 16), fb = Float(bitPattern: UInt32(b0[i]) << 16)
            if fa.isNaN { return a[i] | 0x40 }                    // the NaN of the incoming operand, quieted
            return nearest(fa + fb)                               // the definition: the float sum, rounded to bfloat16
        }
        for level in levels {
            _ = vgg_bf16_limit(level)
            var b = b0
            vgg_bf16_add(a, &b, n)
            for i in 0..<n where b[i] != want[i] {
                XCTFail("level \(level): 0x\(String(a[i], radix: 16)) + 0x\(String(b0[i], radix: 16)) gave 0x\(String(b[i], radix: 16)), want 0x\(String(want[i], radix: 16))")
                break
            }
        }
    }

    func testTheLimitNeverExceedsTheCPU() {
        let most = vgg_bf16_limit(9)
        XCTAssertTrue((0...2).contains(most))
        XCTAssertEqual(vgg_bf16_level(), most)
        XCTAssertEqual(vgg_bf16_limit(-1), 0)
    }
}
