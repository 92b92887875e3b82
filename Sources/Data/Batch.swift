/// One mini-batch: images as a contiguous float buffer in NCHW order (`shape` = [N, C, H, W]),
/// their labels and their dataset indices. The buffer is allocated once and recycled by
/// the loader after the consumer has dropped every reference to the batch, so holding a
/// batch keeps its contents valid.
public final class Batch: @unchecked Sendable {
    /// [N, C, H, W]; N is smaller than the batch size only for a final partial batch.
    public internal(set) var shape: [Int]
    /// N × C × H × W floats (capacity for a full batch).
    public let images: UnsafeMutablePointer<Float>
    public let capacity: Int
    public internal(set) var labels: [Int32]
    /// Dataset index of each sample.
    public internal(set) var indices: [Int]
    public internal(set) var epoch: Int
    /// Position of this batch within its epoch.
    public internal(set) var batchIndex: Int
    /// Size of the global batch this one is a slice of (its own size without sharding).
    public internal(set) var globalCount: Int = 0
    /// Index of this slice's first sample within the global batch (0 without sharding).
    public internal(set) var firstInGlobalBatch: Int = 0

    init(capacity: Int) {
        self.capacity = capacity
        images = .allocate(capacity: capacity)
        images.initialize(repeating: 0, count: capacity)
        shape = [0, 0, 0, 0]
        labels = []
        indices = []
        epoch = 0
        batchIndex = 0
    }

    /// A batch made by hand (a benchmark's random images, a test's): `images` in NCHW order
    /// for `shape`, one label per image, the slice of a global batch of `globalCount` images
    /// starting at `firstInGlobalBatch` (without sharding: its own size and 0).
    public convenience init(images: [Float], shape: [Int], labels: [Int32], globalCount: Int? = nil, firstInGlobalBatch: Int = 0) {
        precondition(shape.count == 4 && images.count == shape.reduce(1, *) && labels.count == shape[0],
                     "a batch needs N×C×H×W images and N labels for shape [N, C, H, W]")
        self.init(capacity: images.count)
        _ = UnsafeMutableBufferPointer(start: self.images, count: images.count).update(fromContentsOf: images)
        self.shape = shape
        self.labels = labels
        indices = Array(0..<shape[0])
        self.globalCount = globalCount ?? shape[0]
        self.firstInGlobalBatch = firstInGlobalBatch
    }

    deinit { images.deallocate() }

    /// Number of samples.
    public var count: Int { shape[0] }
    /// Number of floats in use (N·C·H·W).
    public var elementCount: Int { shape.reduce(1, *) }
    /// The images as a buffer of `elementCount` floats.
    public var imageBuffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: images, count: elementCount)
    }
    /// A copy of the images.
    public var imageArray: [Float] { Array(imageBuffer) }

    /// The images of samples `range` (of this batch's `count`), in NCHW order.
    public func imageBuffer(ofSamples range: Range<Int>) -> UnsafeMutableBufferPointer<Float> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "samples \(range) of a batch of \(count)")
        let perSample = shape.dropFirst().reduce(1, *)
        return UnsafeMutableBufferPointer(start: images + range.lowerBound * perSample, count: range.count * perSample)
    }
}
