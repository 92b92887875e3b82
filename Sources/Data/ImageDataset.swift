import Support

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
    /// Files left out of the dataset before it was read, and why (`ImageFolderDataset`
    /// screened with `--skip-bad-images`); empty for other datasets.
    var leftOutFiles: [ImageFileProblem] { get }
}

extension ImageDataset {
    public func sourceDescription(at index: Int) -> String { "sample \(index)" }
    public var skipsBadImages: Bool { false }
    public func noteSkipped(index: Int, error: Error) -> Bool { true }
    public var leftOutFiles: [ImageFileProblem] { [] }

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
    /// A split with `perClass` training images of every class drawn at random (seeded), the
    /// rest held out (the paper's Caltech protocol: 30 or 60 per class); a class with no more
    /// than `perClass` images keeps one of them for validation.
    public func stratifiedSplit(trainPerClass perClass: Int, seed: UInt64) throws -> (train: DatasetSubset, validation: DatasetSubset) {
        guard perClass >= 1 else { throw DataError(.invalidArgument, "training images per class must be at least 1, got \(perClass)") }
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
            let nTrain = members.count >= 2 ? Swift.min(perClass, members.count - 1) : 1
            for (k, pi) in p.enumerated() {
                if k < nTrain { train.append(members[pi]) } else { validation.append(members[pi]) }
            }
        }
        return (subset(train.sorted()), subset(validation.sorted()))
    }

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

