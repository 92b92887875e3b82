extension FeatureSet {
    /// How many of this set's rows repeat a row of `other` exactly: the same label and the
    /// same feature values bit for bit, as the same image through the same network gives.
    /// A test set that repeats its training rows (features of one split extracted twice)
    /// scores the probe on what it was trained on.
    public func rowsRepeating(_ other: FeatureSet) -> Int {
        guard dimension == other.dimension, dimension > 0 else { return 0 }
        func hash(_ set: FeatureSet, _ r: Int) -> UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: Int64(set.labels[r]))
            for v in set.features[(r * dimension)..<((r + 1) * dimension)] {
                h = (h ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01b3
            }
            return h
        }
        func same(_ r: Int, _ s: Int) -> Bool {
            guard labels[r] == other.labels[s] else { return false }
            let a = features[(r * dimension)..<((r + 1) * dimension)], b = other.features[(s * dimension)..<((s + 1) * dimension)]
            return zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        }
        var rowsByHash: [UInt64: [Int]] = [:]
        for s in 0..<other.count { rowsByHash[hash(other, s), default: []].append(s) }
        return (0..<count).filter { r in rowsByHash[hash(self, r)]?.contains { same(r, $0) } ?? false }.count
    }
}
