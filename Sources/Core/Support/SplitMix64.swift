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
