/// xoshiro256**: the one seeded generator of the toolkit (shuffling, augmentation,
/// initialisation, test data). Its output stream is
/// fully specified here (no dependence on the standard library's algorithms), so seeded
/// results are reproducible across platforms and compiler versions.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// The generator for a sample: a pure function of (seed, epoch, position in epoch).
    public init(seed: UInt64, epoch: Int, position: Int) {
        self.init(seed: SplitMix64.hash(seed, 0x5A4D_504C_4500_0001, UInt64(bitPattern: Int64(epoch)),
                                         UInt64(bitPattern: Int64(position))))
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Xoshiro256.rotl(s3, 45)
        return result
    }
}
