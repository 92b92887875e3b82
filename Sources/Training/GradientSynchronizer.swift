import NN
import Support
import Tensors

/// Sums a network's gradients over the processes of a data-parallel run, in buckets that
/// start while the backward pass goes on (PyTorch DDP's scheme).
///
/// The flat gradient buffer holds the layers in order, so walking them backwards (the order
/// backward finishes them) cuts it into contiguous buckets of about `bucketBytes`; the
/// all-reduce of a bucket starts when the backward of its first layer returns. VGG's
/// classifier holds most of the bytes and finishes first: its sum travels while the
/// convolutions' backward computes. `finishStep` waits for every bucket.
public final class GradientSynchronizer: LayerObserver {
    /// A contiguous range of the flat gradient buffer, complete once layer `layer`'s backward returns.
    public struct Bucket: Equatable, Sendable {
        public var range: Range<Int>
        public var layer: Int
    }

    public let buckets: [Bucket]
    public let settings: DistributedSettings
    private let gradients: Tensor
    private let communicator: any Communicator
    private var startedBy: [Int: Int] = [:]
    private var pending: [CommunicationRequest] = []
    private var failure: Error?
    /// Names the step under way in errors (e.g. `epoch 2, batch 17`).
    public var position = "a step"
    /// Seconds the last `finishStep` waited (communication not hidden behind the backward pass).
    public private(set) var lastWait: Double = 0

    public init(network: Sequential, communicator: any Communicator, settings: DistributedSettings) {
        self.settings = settings
        self.communicator = communicator
        gradients = network.store.gradients
        buckets = Self.plan(network, bucketElements: max(1, settings.bucketBytes / 4))
        for (k, b) in buckets.enumerated() { startedBy[b.layer] = k }
    }

    /// Buckets in the order the backward pass completes them.
    static func plan(_ network: Sequential, bucketElements: Int) -> [Bucket] {
        var offsets: [ObjectIdentifier: Int] = [:]
        for (p, o) in network.store.entries { offsets[ObjectIdentifier(p)] = o }
        var buckets: [Bucket] = []
        var current: Bucket?
        for (index, (_, layer)) in network.layers.enumerated().reversed() where !layer.parameters.isEmpty {
            let starts = layer.parameters.map { offsets[ObjectIdentifier($0)]! }
            let low = starts.min()!, high = zip(starts, layer.parameters).map { $0 + $1.count }.max()!
            if var b = current {
                precondition(high == b.range.lowerBound, "the flat buffer does not hold the layers in order")
                b.range = low ..< b.range.upperBound
                b.layer = index
                current = b
            } else {
                current = Bucket(range: low ..< high, layer: index)
            }
            if current!.range.count >= bucketElements { buckets.append(current!); current = nil }
        }
        if let current { buckets.append(current) }
        return buckets
    }

    /// Buckets whose sum has started in this step.
    private var started = Set<Int>()

    public func willRun(layer index: Int, pass: LayerPass) {}

    public func didRun(layer index: Int, pass: LayerPass) {
        guard pass == .backward, settings.overlap, failure == nil, let k = startedBy[index] else { return }
        start(buckets[k], k)
    }

    private func start(_ bucket: Bucket, _ k: Int) {
        started.insert(k)
        do {
            let view = gradients.view(offset: bucket.range.lowerBound, shape: [bucket.range.count])
            pending.append(try communicator.startAllReduceSum(view, precision: settings.precision,
                                                              label: "the gradients of \(position) (bucket \(k + 1) of \(buckets.count))"))
        } catch {
            failure = error
        }
    }

    /// After the backward pass: starts what has not started (everything without overlap)
    /// and waits until every gradient holds the sum over the processes.
    public func finishStep() throws {
        // Buckets whose layers ran no backward pass (frozen layers, `Sequential.freeze`) start now.
        if settings.overlap, failure == nil {
            for k in buckets.indices where !started.contains(k) { start(buckets[k], k) }
        }
        started.removeAll(keepingCapacity: true)
        if !settings.overlap, failure == nil {
            do { pending.append(try communicator.startAllReduceSum(gradients, precision: settings.precision, label: "the gradients of \(position)")) } catch {
                failure = error
            }
        }
        let clock = Stopwatch()
        defer { pending.removeAll(); lastWait = clock.elapsed }
        if let failure { self.failure = nil; throw failure }
        for r in pending { try r.wait() }
    }
}
