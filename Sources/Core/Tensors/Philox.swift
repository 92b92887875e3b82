/// Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
/// SC 2011): a counter-based generator. Four 32-bit words out of a 128-bit counter and a
/// 64-bit key, with no state, so element i of any stream can be drawn on any device in
/// any order. This is the definition the backends' kernels follow (tested against
/// Random123's known-answer vectors).
public enum Philox {
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter, k = key
        for round in 0..<10 {
            if round > 0 { k &+= SIMD2(0x9E37_79B9, 0xBB67_AE85) }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c[0]), p1 = UInt64(0xCD9E_8D57) &* UInt64(c[2])
            let (hi0, lo0) = (UInt32(truncatingIfNeeded: p0 >> 32), UInt32(truncatingIfNeeded: p0))
            let (hi1, lo1) = (UInt32(truncatingIfNeeded: p1 >> 32), UInt32(truncatingIfNeeded: p1))
            c = SIMD4(hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0)
        }
        return c
    }

    /// A uniform float in [0, 1) from the top 24 bits of a word.
    @inline(__always)
    public static func unit(_ word: UInt32) -> Float { Float(word >> 8) * 0x1p-24 }
}
