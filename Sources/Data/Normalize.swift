/// Per-channel mean subtraction (the VGG paper's only preprocessing) and optional division
/// by the standard deviation: `(x − mean[c]) / std[c]`.
public struct Normalize: ImageTransform {
    public var mean: [Float]
    public var std: [Float]?

    public init(mean: [Float], std: [Float]? = nil) {
        if let std { precondition(std.count == mean.count && std.allSatisfy { $0 > 0 }) }
        self.mean = mean
        self.std = std
    }

    /// Uses the mean (and, if `divideByStd`, the std) of `statistics`.
    public init(statistics: DatasetStatistics, divideByStd: Bool = false) {
        self.init(mean: statistics.mean, std: divideByStd ? statistics.std : nil)
    }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        let c = image.channels
        guard mean.count == c else {
            throw DataError(.invalidArgument, "Normalize: \(mean.count) means for a \(c)-channel image")
        }
        let inv = (std ?? [Float](repeating: 1, count: c)).map { 1 / $0 }
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                for ch in 0..<c { p[i + ch] = (p[i + ch] - mean[ch]) * inv[ch] }
                i += c
            }
        }
        return out
    }
}
