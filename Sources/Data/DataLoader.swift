import Support
import Foundation

/// Produces mini-batches from a dataset through a transform pipeline, decoding and
/// augmenting on worker threads with a few batches prefetched.
///
/// Determinism: the order of epoch `e` is `epochPermutation(count:seed:epoch:)` (or the
/// identity when not shuffling), and the augmentation of the sample at position `p` of
/// epoch `e` uses `Xoshiro256(seed:epoch:position:)`. Batches are therefore identical for
/// any number of workers, and `batches(epoch:startingAt:)` resumes an epoch exactly
/// without saved RNG state.
public final class DataLoader: @unchecked Sendable {
    public let dataset: any ImageDataset
    public let pipeline: TransformPipeline
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let dropLast: Bool
    /// Worker threads; 0 decodes on the consumer's thread.
    public let workers: Int
    /// How many batches may be ready or in preparation ahead of the consumer.
    public let prefetch: Int
    /// [C, H, W] of every sample after the pipeline.
    public let sampleShape: [Int]
    /// Which slice of every batch this loader produces: `rank` of `count` contiguous slices
    /// (data parallelism: every process sees the single-process batches and takes its part).
    public let shard: Shard

    /// Slice `rank` of `count` of each batch: samples `rank·b/count ..< (rank+1)·b/count` of a
    /// batch of b samples, so the slices cover the batch exactly, none padded or repeated.
    public struct Shard: Equatable, Sendable {
        public var rank: Int
        public var count: Int
        public init(rank: Int, count: Int) { self.rank = rank; self.count = count }
        public static let whole = Shard(rank: 0, count: 1)
        /// This slice of a batch of `b` samples.
        public func range(of b: Int) -> Range<Int> { (rank * b / count) ..< ((rank + 1) * b / count) }
    }

    /// A loader of `dataset`'s samples through `pipeline`, `batchSize` at a time.
    ///
    /// - Parameters:
    ///   - dataset: The samples and their labels.
    ///   - pipeline: The transforms applied to every decoded image (augmentations are keyed
    ///     by the seed, the epoch and the sample's position in it, so any worker draws the same ones).
    ///   - batchSize: Samples per batch (the global batch when `shard` is a slice of it).
    ///   - shuffle: Whether every epoch visits the samples in a new order drawn from `seed`.
    ///   - seed: Keys the shuffled order and the augmentations.
    ///   - dropLast: Whether a last, incomplete batch is left out.
    ///   - workers: Decoding threads; 0 decodes on the consumer's thread.
    ///   - prefetch: Batches ready or in preparation ahead of the consumer (nil: twice the
    ///     workers; never fewer than the workers).
    ///   - sampleShape: [C, H, W] of the pipeline's output; if nil it is found by running
    ///     the pipeline on the first readable sample (so the pipeline must give a fixed size).
    ///   - shard: Which slice of every batch this loader produces (``Shard/whole``: all of it).
    public init(dataset: any ImageDataset, pipeline: TransformPipeline = TransformPipeline(), batchSize: Int,
                shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false,
                workers: Int = 2, prefetch: Int? = nil, sampleShape: [Int]? = nil, shard: Shard = .whole) throws {
        guard batchSize > 0 else { throw DataError(.invalidArgument, "batch size must be positive, got \(batchSize)") }
        guard workers >= 0 else { throw DataError(.invalidArgument, "worker count must be ≥ 0, got \(workers)") }
        guard dataset.count > 0 else { throw DataError(.invalidArgument, "dataset is empty") }
        guard shard.count >= 1, (0..<shard.count).contains(shard.rank) else {
            throw DataError(.invalidArgument, "shard \(shard.rank) of \(shard.count) does not exist")
        }
        self.shard = shard
        self.dataset = dataset
        self.pipeline = pipeline
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.workers = workers
        self.prefetch = Swift.max(prefetch ?? 2 * Swift.max(workers, 1), Swift.max(workers, 1))
        if let sampleShape {
            guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }) else {
                throw DataError(.invalidArgument, "sampleShape must be [C, H, W], got \(sampleShape)")
            }
            self.sampleShape = sampleShape
        } else {
            var probeError: Error?
            var shape: [Int]?
            for i in 0..<Swift.min(dataset.count, 16) {
                do {
                    let x = try pipeline.apply(dataset.loadImage(at: i), seed: seed, epoch: 0, position: 0)
                    shape = [x.channels, x.height, x.width]
                    break
                } catch {
                    if let e = error as? DataError, e.kind == .badImage, dataset.skipsBadImages {
                        probeError = error; continue
                    }
                    throw DataLoader.contextualise(error, dataset.sourceDescription(at: i), "while probing the sample shape")
                }
            }
            guard let shape else { throw probeError ?? DataError(.badImage, "no readable sample to probe the shape") }
            self.sampleShape = shape
        }
        if dropLast && dataset.count < batchSize {
            throw DataError(.invalidArgument,
                            "dropLast with batch size \(batchSize) leaves no batch from \(dataset.count) samples")
        }
    }

    /// Number of batches per epoch.
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Number of samples seen per epoch.
    public var samplesPerEpoch: Int { dropLast ? batchesPerEpoch * batchSize : dataset.count }

    /// The dataset order of `epoch`.
    public func order(epoch: Int) -> [Int] {
        shuffle ? epochPermutation(count: dataset.count, seed: seed, epoch: epoch) : Array(0..<dataset.count)
    }

    /// Batches `batchIndex ..< batchesPerEpoch` of `epoch`, prepared by the worker threads.
    public func batches(epoch: Int, startingAt batchIndex: Int = 0) -> EpochIterator {
        EpochIterator(loader: self, epoch: epoch, start: Swift.min(Swift.max(batchIndex, 0), batchesPerEpoch))
    }

    /// Runs `body` on every batch of `epoch` from `batchIndex` on, in order.
    public func forEachBatch(epoch: Int, startingAt batchIndex: Int = 0, _ body: (Batch) throws -> Void) throws {
        let it = batches(epoch: epoch, startingAt: batchIndex)
        while let b = try it.next() { try body(b) }
    }

    /// Builds one batch synchronously on the calling thread (pure function of its arguments).
    public func makeBatch(epoch: Int, batchIndex: Int) throws -> Batch {
        var skipped = 0
        let b = Batch(capacity: batchSize * sampleShape.reduce(1, *))
        try fill(b, order: order(epoch: epoch), epoch: epoch, batchIndex: batchIndex, skipped: &skipped)
        return b
    }

    static func contextualise(_ error: Error, _ source: String, _ context: String) -> Error {
        if let e = error as? DataError {
            if e.path != nil { return DataError(e.kind, path: e.path, e.message + " (\(context))") }
            return DataError(e.kind, path: source, e.message + " (\(context))")
        }
        return DataError(.badImage, path: source, "\(error) (\(context))")
    }

    /// Fills `batch` with batch `batchIndex` of an epoch whose order is `order`.
    func fill(_ batch: Batch, order: [Int], epoch: Int, batchIndex: Int, skipped: inout Int) throws {
        let n = dataset.count
        let globalCount = Swift.min(batchSize, n - batchIndex * batchSize)
        precondition(globalCount > 0, "batch \(batchIndex) is past the end of the epoch")
        let slice = shard.range(of: globalCount)
        let start = batchIndex * batchSize + slice.lowerBound
        let count = slice.count
        let sampleSize = sampleShape.reduce(1, *)
        batch.shape = [count] + sampleShape
        batch.epoch = epoch
        batch.batchIndex = batchIndex
        batch.globalCount = globalCount
        batch.firstInGlobalBatch = slice.lowerBound
        batch.labels = [Int32](repeating: 0, count: count)
        batch.indices = [Int](repeating: 0, count: count)
        for j in 0..<count {
            let position = start + j
            var attempt = 0
            while true {
                let index = order[(position + attempt) % n]
                do {
                    let decoded = try dataset.loadImage(at: index)
                    var rng = Xoshiro256(seed: seed, epoch: epoch, position: position)
                    let x = try pipeline.apply(decoded, using: &rng)
                    guard x.channels == sampleShape[0], x.height == sampleShape[1], x.width == sampleShape[2] else {
                        throw DataError(.mismatch, path: dataset.sourceDescription(at: index),
                                        "pipeline output is \(x.channels)x\(x.height)x\(x.width), expected \(sampleShape.map(String.init).joined(separator: "x")) (end the pipeline with a crop or resize)")
                    }
                    x.writeCHW(to: batch.images + j * sampleSize)
                    batch.labels[j] = Int32(dataset.label(at: index))
                    batch.indices[j] = index
                    break
                } catch {
                    let ctx = "dataset index \(index), epoch \(epoch), batch \(batchIndex)"
                    if let e = error as? DataError, e.kind == .badImage, dataset.skipsBadImages, attempt + 1 < Swift.min(n, 64) {
                        if dataset.noteSkipped(index: index, error: error) {
                            FileHandle.standardError.write("warning: skipping unreadable image: \(e.description)\n".data(using: .utf8)!)
                        }
                        skipped += 1
                        attempt += 1
                        continue
                    }
                    throw DataLoader.contextualise(error, dataset.sourceDescription(at: index), ctx)
                }
            }
        }
    }
}
