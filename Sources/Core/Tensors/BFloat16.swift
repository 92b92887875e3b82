/// The bfloat16 format (1 sign, 8 exponent, 7 mantissa bits: the top half of a float32)
/// and the one rounding that `Precision.bf16` uses everywhere.
public enum BFloat16 {
    /// `x`'s bf16 bits, rounded to nearest with ties to even. NaN becomes a quiet NaN with
    /// `x`'s sign; ±∞ stay ±∞; finite values past the largest bf16 (about 3.39e38) round to
    /// ±∞ as IEEE round-to-nearest-even says; subnormals round like any other value (bf16 has
    /// float32's subnormal range at 7 bits).
    @inlinable
    public static func bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// The float32 value of bf16 `bits` (exact).
    @inlinable
    public static func value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// `x` rounded to the nearest bf16 value (ties to even), as a float32.
    @inlinable
    public static func rounded(_ x: Float) -> Float { value(bits(x)) }

    /// Every element of `values` rounded in place.
    @inlinable
    public static func round(_ values: inout [Float]) {
        for i in values.indices { values[i] = rounded(values[i]) }
    }
}
