import Support

/// Which half of a dataset with a fixed train/test split to read.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train, test
}

/// A labelled collection of images with random access. Implementations must be safe to
/// call from several threads at once (the loader decodes on worker threads).
public protocol ImageDataset: AnyObject {
    /// Number of samples.
    var count: Int { get }
    /// Display names of the classes; labels index into this array.
    var classNames: [String] { get }
    /// Channels of the images `loadImage` returns (1 or 3).
    var channels: Int { get }
    /// The class of sample `index`, in `0..<classNames.count`.
    func label(at index: Int) -> Int
    /// Decodes sample `index`. Errors name the file and the problem.
    func loadImage(at index: Int) throws -> DecodedImage
    /// Where sample `index` comes from (a path, or "file#record"), for messages.
    func sourceDescription(at index: Int) -> String
    /// Whether the loader may skip samples that fail with `DataError.Kind.badImage`.
    var skipsBadImages: Bool { get }
    /// Called by the loader when it skipped a bad sample; returns true the first time
    /// this sample is reported (so the warning is printed once).
    func noteSkipped(index: Int, error: Error) -> Bool
}

extension ImageDataset {
    public func sourceDescription(at index: Int) -> String { "sample \(index)" }
    public var skipsBadImages: Bool { false }
    public func noteSkipped(index: Int, error: Error) -> Bool { true }

    /// Number of samples of each class.
    public func labelCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for i in 0..<count {
            let l = label(at: i)
            if l >= 0 && l < counts.count { counts[l] += 1 }
        }
        return counts
    }

    /// The samples at `indices` of this dataset.
    public func subset(_ indices: [Int]) -> DatasetSubset {
        DatasetSubset(base: self, indices: indices)
    }

    /// The first `n` samples (all of them if `n >= count`).
    public func prefix(_ n: Int) -> DatasetSubset {
        DatasetSubset(base: self, indices: Array(0..<Swift.max(0, Swift.min(n, count))))
    }

    /// A stratified split: within each class, a seeded shuffle puts
    /// `round(fraction × classCount)` samples into validation (at least one when the
    /// class has two or more samples and `fraction > 0`) and the rest into training.
    /// Both subsets list their indices in increasing order.
    public func stratifiedSplit(validationFraction fraction: Double, seed: UInt64) throws
        -> (train: DatasetSubset, validation: DatasetSubset)
    {
        guard fraction >= 0 && fraction < 1 else {
            throw DataError(.invalidArgument, "validation fraction must be in [0, 1), got \(fraction)")
        }
        var byClass = [[Int]](repeating: [], count: classNames.count)
        for i in 0..<count {
            let l = label(at: i)
            guard l >= 0 && l < byClass.count else {
                throw DataError(.format, "\(sourceDescription(at: i)): label \(l) out of range 0..<\(byClass.count)")
            }
            byClass[l].append(i)
        }
        var train: [Int] = [], validation: [Int] = []
        for (c, members) in byClass.enumerated() where !members.isEmpty {
            let p = epochPermutation(count: members.count, seed: SplitMix64.hash(seed, UInt64(c)), epoch: 0)
            var nVal = 0
            if members.count >= 2 && fraction > 0 {
                nVal = Int((fraction * Double(members.count)).rounded())
                nVal = Swift.min(Swift.max(nVal, 1), members.count - 1)
            }
            for (k, pi) in p.enumerated() {
                if k < nVal { validation.append(members[pi]) } else { train.append(members[pi]) }
            }
        }
        return (subset(train.sorted()), subset(validation.sorted()))
    }
}

/// A view of some samples of another dataset (a prefix, a train/validation part, …).
public final class DatasetSubset: ImageDataset, @unchecked Sendable {
    public let base: any ImageDataset
    /// Indices into `base`.
    public let indices: [Int]

    public init(base: any ImageDataset, indices: [Int]) {
        for i in indices { precondition(i >= 0 && i < base.count, "DatasetSubset: index \(i) out of range") }
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var classNames: [String] { base.classNames }
    public var channels: Int { base.channels }
    public func label(at index: Int) -> Int { base.label(at: indices[index]) }
    public func loadImage(at index: Int) throws -> DecodedImage { try base.loadImage(at: indices[index]) }
    public func sourceDescription(at index: Int) -> String { base.sourceDescription(at: indices[index]) }
    public var skipsBadImages: Bool { base.skipsBadImages }
    public func noteSkipped(index: Int, error: Error) -> Bool { base.noteSkipped(index: indices[index], error: error) }
}

/// A dataset held entirely in memory, built from decoded images and labels
/// (handy for tests, synthetic benchmarks and small experiments).
public final class InMemoryDataset: ImageDataset, @unchecked Sendable {
    public let images: [DecodedImage]
    public let labels: [Int]
    public let classNames: [String]
    public let channels: Int

    public init(images: [DecodedImage], labels: [Int], classNames: [String]) throws {
        guard images.count == labels.count else {
            throw DataError(.mismatch, "InMemoryDataset: \(images.count) images but \(labels.count) labels")
        }
        let ch = images.first?.channels ?? 3
        for (i, im) in images.enumerated() where im.channels != ch {
            throw DataError(.mismatch, "InMemoryDataset: image \(i) has \(im.channels) channels, expected \(ch)")
        }
        for (i, l) in labels.enumerated() where l < 0 || l >= classNames.count {
            throw DataError(.format, "InMemoryDataset: label \(l) of sample \(i) out of range 0..<\(classNames.count)")
        }
        self.images = images
        self.labels = labels
        self.classNames = classNames
        self.channels = ch
    }

    public var count: Int { images.count }
    public func label(at index: Int) -> Int { labels[index] }
    public func loadImage(at index: Int) throws -> DecodedImage { images[index] }
}
