import Support
import XCTest
@testable import CPUBackend
@_spi(BackendImplementation) import Tensors

/// The `cpu` backend's bf16 rounding (`vgg_round_bf16` through `BFloat16Rounding`) gives the
/// bits of `BFloat16.rounded`, the one rounding of docs/precision.md: on special values
/// (NaN with payloads and signs, ±∞, overflow to ∞, ties, subnormals, ±0) and on random bit
/// patterns, in place and into a copy, on a size that takes the parallel loop; and in fp32 it
/// hands tensors on untouched.
final class BFloat16RoundingTests: XCTestCase {
    private func patterns() -> [UInt32] {
        var bits: [UInt32] = [0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000,   // ±0, ±∞
                              0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFF81_2345, 0x7FBF_FFFF,   // NaNs (signalling ones too)
                              0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F7F_8000, 0x7F7F_7FFF,   // the largest floats, the overflow midpoint and below it
                              0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0xBF80_8000,   // ties to even, just past a tie
                              0x0000_0001, 0x0000_8000, 0x0000_8001, 0x0001_8000, 0x807F_FFFF]   // subnormals
        var rng = Xoshiro256(seed: 3)
        while bits.count < 200_003 { bits.append(UInt32(truncatingIfNeeded: rng.next())) }
        return bits
    }

    func testRoundsAsBFloat16Rounded() {
        let values = patterns().map { Float(bitPattern: $0) }
        let expected = values.map { BFloat16.rounded($0).bitPattern }
        let rounding = BFloat16Rounding(.bf16)
        let x = Tensor(values, shape: [values.count], on: HostMemory.shared)
        let copied = rounding.reading(x) { $0.toArray() }
        XCTAssertEqual(x.toArray().map(\.bitPattern), values.map(\.bitPattern), "the read rounded its input")
        rounding.write(x)
        for (name, got) in [("read", copied), ("write", x.toArray())] {
            let mismatches = got.indices.filter { got[$0].bitPattern != expected[$0] }
            XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.count) differ, first at \(mismatches.first ?? 0): "
                          + String(format: "%08x → %08x, BFloat16.rounded %08x", values[mismatches.first ?? 0].bitPattern,
                                   got[mismatches.first ?? 0].bitPattern, expected[mismatches.first ?? 0]))
        }
    }

    func testFloat32HandsTensorsOnUntouched() {
        let rounding = BFloat16Rounding(.fp32)
        let x = Tensor([1 + 0x1p-10, 3], shape: [2], on: HostMemory.shared)
        XCTAssertTrue(rounding.reading(x) { $0 === x })
        rounding.write(x)
        XCTAssertEqual(x.toArray(), [1 + 0x1p-10, 3])
    }
}
