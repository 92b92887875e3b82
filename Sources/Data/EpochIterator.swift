import Foundation

/// Iterates over the batches of one epoch (from a starting batch), prepared ahead of time
/// by the loader's worker threads. Use `while let batch = try iterator.next() { … }`.
/// Batches arrive in order; an error from a worker (e.g. an undecodable image) is thrown by
/// the `next()` call that would have returned its batch, and ends the iteration.
/// Dropping the iterator stops its workers.
public final class EpochIterator: @unchecked Sendable {
    public let epoch: Int
    /// Index of the batch the next call to `next()` returns.
    public private(set) var nextBatchIndex: Int
    public let endBatchIndex: Int
    /// Samples replaced because their image could not be read (skipBadImages).
    public var skippedSamples: Int {
        shared.cond.lock(); defer { shared.cond.unlock() }
        return shared.skipped
    }

    final class Shared: @unchecked Sendable {
        let cond = NSCondition()
        var nextToAssign: Int
        var consumer: Int
        var results: [Int: Result<Batch, Error>] = [:]
        var pool: [Batch] = []
        var cancelled = false
        var skipped = 0
        var liveWorkers = 0
        init(start: Int) { nextToAssign = start; consumer = start }
    }

    private let loader: DataLoader
    private let order: [Int]
    private let shared: Shared
    private var handedOut: [Batch] = []
    private var finished = false

    init(loader: DataLoader, epoch: Int, start: Int) {
        self.loader = loader
        self.epoch = epoch
        self.nextBatchIndex = start
        self.endBatchIndex = loader.batchesPerEpoch
        self.order = loader.order(epoch: epoch)
        self.shared = Shared(start: start)
        let workerCount = Swift.min(loader.workers, Swift.max(endBatchIndex - start, 0))
        shared.liveWorkers = workerCount
        for w in 0..<workerCount {
            let thread = Thread { [shared, loader, order, endBatchIndex, epoch] in
                EpochIterator.work(shared: shared, loader: loader, order: order, end: endBatchIndex, epoch: epoch)
            }
            thread.name = "vgg.data.worker.\(w)"
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    deinit { cancel() }

    /// Stops the workers; later calls to `next()` return nil.
    public func cancel() {
        shared.cond.lock()
        shared.cancelled = true
        shared.results.removeAll()
        shared.cond.broadcast()
        shared.cond.unlock()
        finished = true
    }

    private static func takeBuffer(_ shared: Shared, capacity: Int) -> Batch {
        shared.cond.lock()
        let b = shared.pool.popLast()
        shared.cond.unlock()
        return b ?? Batch(capacity: capacity)
    }

    private static func work(shared: Shared, loader: DataLoader, order: [Int], end: Int, epoch: Int) {
        let capacity = loader.batchSize * loader.sampleShape.reduce(1, *)
        while true {
            shared.cond.lock()
            var k = -1
            while true {
                if shared.cancelled || shared.nextToAssign >= end { break }
                if shared.nextToAssign < shared.consumer + loader.prefetch {
                    k = shared.nextToAssign
                    shared.nextToAssign += 1
                    break
                }
                shared.cond.wait()
            }
            shared.cond.unlock()
            if k < 0 { return }
            let batch = takeBuffer(shared, capacity: capacity)
            var skipped = 0
            let result: Result<Batch, Error>
            do {
                try loader.fill(batch, order: order, epoch: epoch, batchIndex: k, skipped: &skipped)
                result = .success(batch)
            } catch {
                result = .failure(error)
            }
            shared.cond.lock()
            shared.skipped += skipped
            if !shared.cancelled { shared.results[k] = result }
            if case .failure = result { shared.pool.append(batch) }
            shared.cond.broadcast()
            shared.cond.unlock()
        }
    }

    /// The next batch, or nil at the end of the epoch.
    public func next() throws -> Batch? {
        guard !finished, nextBatchIndex < endBatchIndex else {
            finish()
            return nil
        }
        // Recycle buffers the consumer no longer references.
        var kept: [Batch] = []
        var free: [Batch] = []
        while var b = handedOut.popLast() {
            if isKnownUniquelyReferenced(&b) { free.append(b) } else { kept.append(b) }
        }
        handedOut = kept
        let k = nextBatchIndex
        let result: Result<Batch, Error>
        if loader.workers == 0 {
            let batch = free.popLast() ?? Batch(capacity: loader.batchSize * loader.sampleShape.reduce(1, *))
            var skipped = 0
            do {
                try loader.fill(batch, order: order, epoch: epoch, batchIndex: k, skipped: &skipped)
                result = .success(batch)
            } catch { result = .failure(error) }
            shared.cond.lock()
            shared.skipped += skipped
            shared.pool.append(contentsOf: free)
            shared.cond.unlock()
        } else {
            shared.cond.lock()
            shared.pool.append(contentsOf: free)
            while shared.results[k] == nil { shared.cond.wait() }
            result = shared.results.removeValue(forKey: k)!
            shared.consumer = k + 1
            shared.cond.broadcast()
            shared.cond.unlock()
        }
        nextBatchIndex = k + 1
        switch result {
        case .success(let batch):
            handedOut.append(batch)
            return batch
        case .failure(let error):
            cancel()
            throw error
        }
    }

    private func finish() {
        if !finished {
            finished = true
            let n = skippedSamples
            if n > 0 {
                FileHandle.standardError.write(
                    "warning: epoch \(epoch): \(n) samples were replaced because their images could not be read\n".data(using: .utf8)!)
            }
        }
    }
}
