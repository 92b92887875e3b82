import Foundation

/// SplitMix64: a tiny, fast 64-bit generator, used to seed others and to hash seeds.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Mixes a list of values into one well-distributed 64-bit seed.
    public static func hash(_ values: UInt64...) -> UInt64 { hash(values) }

    public static func hash(_ values: [UInt64]) -> UInt64 {
        var g = SplitMix64(seed: 0x243F_6A88_85A3_08D3)
        var h = g.next()
        for v in values {
            g.state ^= v &+ h
            h = g.next()
        }
        return h
    }
}

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

extension RandomNumberGenerator {
    /// A uniform double in [0, 1) built from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in `0..<bound` (Lemire's unbiased multiply-shift method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniform integer in `range`.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + nextInt(below: range.upperBound - range.lowerBound + 1)
    }

    /// A standard normal deviate (Box–Muller, one value per call): the one Gaussian
    /// sampler of the toolkit (weight initialisation, colour shift, test data).
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUnit() // (0, 1]
        let u2 = nextUnit()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }
}
