import Support

/// AlexNet's RGB colour shift ("PCA lighting", Krizhevsky et al. 2012, §4.1, used by the
/// VGG paper): each image gets `Σ_i p_i · α_i · λ_i` added to every pixel, where `p_i`
/// and `λ_i` are the eigenvectors and eigenvalues of the training set's RGB covariance and
/// `α_i ~ N(0, σ)` (σ = 0.1) are drawn once per image. Values are in the [0, 1] working scale,
/// so pass eigenvalues computed on that scale (as `DatasetStatistics` does).
public struct PCAColorShift: ImageTransform {
    /// λ_i, one per principal component.
    public var eigenvalues: [Float]
    /// Row-major `C × C`; column i is eigenvector p_i.
    public var eigenvectors: [Float]
    public var alphaStandardDeviation: Float

    public init(eigenvalues: [Float], eigenvectors: [Float], alphaStandardDeviation: Float = 0.1) {
        precondition(eigenvectors.count == eigenvalues.count * eigenvalues.count)
        self.eigenvalues = eigenvalues
        self.eigenvectors = eigenvectors
        self.alphaStandardDeviation = alphaStandardDeviation
    }

    /// Uses the eigen-decomposition in `statistics`.
    public init(statistics: DatasetStatistics, alphaStandardDeviation: Float = 0.1) {
        self.init(eigenvalues: statistics.eigenvalues, eigenvectors: statistics.eigenvectors,
                  alphaStandardDeviation: alphaStandardDeviation)
    }

    /// The per-channel shift for the given α.
    public func shift(alphas: [Float]) -> [Float] {
        let n = eigenvalues.count
        var s = [Float](repeating: 0, count: n)
        for c in 0..<n { for i in 0..<n { s[c] += eigenvectors[c * n + i] * alphas[i] * eigenvalues[i] } }
        return s
    }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        let n = eigenvalues.count
        guard image.channels == n else {
            throw DataError(.invalidArgument, "PCAColorShift: \(n) components for a \(image.channels)-channel image")
        }
        let alphas = (0..<n).map { _ in Float(rng.nextGaussian()) * alphaStandardDeviation }
        let s = shift(alphas: alphas)
        if s.allSatisfy({ $0 == 0 }) { return image }
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                for c in 0..<n { p[i + c] += s[c] }
                i += n
            }
        }
        return out
    }
}
