/// A histogram summary of values as TensorBoard shows it: count, sum, sum of squares, range,
/// and counts in buckets whose right edges grow geometrically (×1.1 from 1e-12, mirrored for
/// negative values), as TensorFlow's own histogram summaries bucket them.
public enum Histogram {
    /// TensorFlow's default bucket right edges: ±1e-12 · 1.1^k up to ±1e20, and 0.
    public static let defaultEdges: [Double] = {
        var positive: [Double] = []
        var v = 1e-12
        while v < 1e20 { positive.append(v); v *= 1.1 }
        positive.append(.greatestFiniteMagnitude)
        return positive.reversed().map { -$0 } + [0] + positive
    }()

    /// The histogram of `values` (non-finite values are left out), with empty buckets dropped
    /// (TensorBoard needs only the edges of the buckets that hold values).
    public static func make(_ values: [Float]) -> Tensorboard_HistogramProto {
        var h = Tensorboard_HistogramProto()
        let finite = values.lazy.map(Double.init).filter(\.isFinite)
        var counts = [Double](repeating: 0, count: defaultEdges.count)
        var lo = Double.infinity, hi = -Double.infinity
        for x in finite {
            h.num += 1; h.sum += x; h.sumSquares += x * x
            lo = min(lo, x); hi = max(hi, x)
            // The first edge ≥ x (binary search): the bucket holding x.
            var a = 0, b = defaultEdges.count - 1
            while a < b { let m = (a + b) / 2; if defaultEdges[m] < x { a = m + 1 } else { b = m } }
            counts[a] += 1
        }
        guard h.num > 0 else { return h }
        h.min = lo; h.max = hi
        for (edge, count) in zip(defaultEdges, counts) where count > 0 {
            h.bucketLimit.append(edge); h.bucket.append(count)
        }
        return h
    }
}
