import Support

/// The seeded permutation of `0..<count` for an epoch: a pure function of (seed, epoch).
public func epochPermutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var p = Array(0..<count)
    var rng = Xoshiro256(seed: SplitMix64.hash(seed, 0x5045_524D_0000_0001, UInt64(bitPattern: Int64(epoch))))
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = rng.nextInt(below: i + 1)
            p.swapAt(i, j)
        }
    }
    return p
}
