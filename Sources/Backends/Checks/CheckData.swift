import Support

/// The seeded random inputs of one check, drawn on the host: a stream of its own per check,
/// keyed by the run's seed and the check's label, so that selecting checks (`only`) changes
/// nothing in the others.
public struct CheckData {
    public var rng: Xoshiro256

    public init(seed: UInt64, label: String) {
        // FNV-1a of the label: a stable hash (Swift's `hashValue` changes from run to run).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in label.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        rng = Xoshiro256(seed: SplitMix64.hash(seed, h))
    }

    /// `count` values `mean + scale · N(0, 1)`.
    public mutating func gaussian(_ count: Int, mean: Float = 0, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in mean + scale * Float(rng.nextGaussian()) }
    }

    /// `count` distinct values (a shuffled ramp 0, 0.25, 0.5, … shifted to straddle zero): no
    /// ties, so which element is a window's maximum never depends on rounding.
    public mutating func distinct(_ count: Int) -> [Float] {
        var values = (0..<count).map { Float($0) * 0.25 - Float(count) * 0.125 }
        for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, rng.nextInt(below: i + 1)) }
        return values
    }

    /// `count` class indices in `0..<classes`, as floats (the loss ops' label tensors).
    public mutating func labels(_ count: Int, classes: Int) -> [Float] {
        (0..<count).map { _ in Float(rng.nextInt(below: classes)) }
    }
}
