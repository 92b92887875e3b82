import Foundation
import Support

/// Per-channel pixel statistics of a dataset on the [0, 1] scale: mean, standard deviation,
/// the channel covariance and its eigen-decomposition (for `PCAColorShift`). Codable so it
/// can be stored in checkpoints.
public struct DatasetStatistics: Codable, Equatable, Sendable {
    public var channels: Int
    public var mean: [Float]
    public var std: [Float]
    /// Row-major `channels × channels` covariance.
    public var covariance: [Float]
    /// Eigenvalues of `covariance`, descending.
    public var eigenvalues: [Float]
    /// Row-major; column k is the eigenvector of `eigenvalues[k]`.
    public var eigenvectors: [Float]
    public var imageCount: Int
    public var pixelCount: Int

    /// Sums over the pixels of one image.
    struct Partial {
        var n = 0
        var sum: [Double]
        var cross: [Double]
        init(channels: Int) {
            sum = [Double](repeating: 0, count: channels)
            cross = [Double](repeating: 0, count: channels * channels)
        }
    }

    static func partial(_ image: DecodedImage, scale: Double) -> Partial {
        let c = image.channels
        var p = Partial(channels: c)
        var s = [UInt64](repeating: 0, count: c)
        var x = [UInt64](repeating: 0, count: c * c)
        image.pixels.withUnsafeBufferPointer { px in
            var i = 0
            while i < px.count {
                for a in 0..<c {
                    let va = UInt64(px[i + a])
                    s[a] += va
                    for b in a..<c { x[a * c + b] += va * UInt64(px[i + b]) }
                }
                i += c
            }
        }
        p.n = image.width * image.height
        for a in 0..<c {
            p.sum[a] = Double(s[a]) * scale
            for b in a..<c {
                p.cross[a * c + b] = Double(x[a * c + b]) * scale * scale
                p.cross[b * c + a] = p.cross[a * c + b]
            }
        }
        return p
    }

    /// `size` distinct indices of `0..<count` drawn uniformly at random (all of them, in order,
    /// when `size ≥ count`), in increasing order: the images statistics are computed from, so
    /// that a class-sorted folder (ImageNet, Caltech-256) is sampled across all its classes.
    public static func sampleIndices(count: Int, size: Int, seed: UInt64) -> [Int] {
        guard size < count else { return Array(0..<count) }
        var rng = Xoshiro256(seed: SplitMix64.hash(seed, 0x5354_4154_5300_0001))
        var indices = Array(0..<count)
        // The first `size` places of a Fisher–Yates shuffle.
        for i in 0..<size { indices.swapAt(i, i + rng.nextInt(below: count - i)) }
        return indices[0..<size].sorted()
    }

    /// Computes the statistics over `maxImages` images of `dataset` drawn uniformly at random
    /// with `seed` (all of them when the dataset has no more), decoding on `workers` threads.
    public static func compute(dataset: any ImageDataset, sample maxImages: Int, seed: UInt64, workers: Int = 1) throws -> DatasetStatistics {
        guard dataset.count > maxImages else { return try compute(dataset: dataset, workers: workers) }
        return try compute(dataset: dataset.subset(sampleIndices(count: dataset.count, size: maxImages, seed: seed)), workers: workers)
    }

    /// Computes the statistics over the first `maxImages` images (all if nil) of `dataset`,
    /// decoding on `workers` threads. Exact integer sums per image make the result
    /// independent of the number of workers.
    public static func compute(dataset: any ImageDataset, maxImages: Int? = nil, workers: Int = 1) throws -> DatasetStatistics {
        let n = Swift.min(dataset.count, maxImages ?? dataset.count)
        guard n > 0 else { throw DataError(.invalidArgument, "cannot compute statistics of an empty dataset") }
        let c = dataset.channels
        var partials = [Partial?](repeating: nil, count: n)
        var firstError: Error?
        let lock = NSLock()
        let w = Swift.max(1, workers)
        partials.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: w) { k in
                var i = k
                while i < n {
                    do {
                        let image = try dataset.loadImage(at: i)
                        guard image.channels == c else {
                            throw DataError(.mismatch, path: dataset.sourceDescription(at: i),
                                            "image has \(image.channels) channels, dataset declares \(c)")
                        }
                        base[i] = partial(image, scale: 1.0 / 255.0)
                    } catch {
                        if dataset.skipsBadImages, let e = error as? DataError, e.kind == .badImage {
                            _ = dataset.noteSkipped(index: i, error: error)
                        } else {
                            lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                        }
                    }
                    i += w
                }
            }
        }
        if let firstError { throw firstError }
        var total = Partial(channels: c)
        var images = 0
        for p in partials {
            guard let p else { continue }
            images += 1
            total.n += p.n
            for a in 0..<c { total.sum[a] += p.sum[a] }
            for a in 0..<(c * c) { total.cross[a] += p.cross[a] }
        }
        return try fromSums(total, images: images)
    }

    /// Statistics of an explicit list of images (all with the same channel count).
    public static func compute(images: [DecodedImage]) throws -> DatasetStatistics {
        guard let first = images.first else { throw DataError(.invalidArgument, "no images") }
        var total = Partial(channels: first.channels)
        for im in images {
            guard im.channels == first.channels else { throw DataError(.mismatch, "mixed channel counts") }
            let p = partial(im, scale: 1.0 / 255.0)
            total.n += p.n
            for a in 0..<first.channels { total.sum[a] += p.sum[a] }
            for a in 0..<total.cross.count { total.cross[a] += p.cross[a] }
        }
        return try fromSums(total, images: images.count)
    }

    static func fromSums(_ t: Partial, images: Int) throws -> DatasetStatistics {
        guard t.n > 0 else { throw DataError(.invalidArgument, "no pixels to compute statistics from") }
        let c = t.sum.count
        let n = Double(t.n)
        let mean = t.sum.map { $0 / n }
        var cov = [Double](repeating: 0, count: c * c)
        for a in 0..<c { for b in 0..<c { cov[a * c + b] = t.cross[a * c + b] / n - mean[a] * mean[b] } }
        let (values, vectors) = SymmetricEigen.decompose(cov, n: c)
        return DatasetStatistics(
            channels: c,
            mean: mean.map { Float($0) },
            std: (0..<c).map { Float(Swift.max(cov[$0 * c + $0], 0).squareRoot()) },
            covariance: cov.map { Float($0) },
            eigenvalues: values.map { Float(Swift.max($0, 0)) },
            eigenvectors: vectors.map { Float($0) },
            imageCount: images, pixelCount: t.n)
    }
}
