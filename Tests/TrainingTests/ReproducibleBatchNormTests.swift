import Backends
import Data
import Foundation
import NN
import Tensors
import Support
import Training
import VGG
import XCTest

/// `--reproducible` with BatchNorm: each shard normalised with its own statistics (ghost
/// batches), the running statistics updated once per step from every shard's, the same in
/// every layout.
final class ReproducibleBatchNormTests: XCTestCase {
    /// Sums over `size` ranks that are threads of this process: every rank deposits its values,
    /// the last one to arrive adds them (in reverse rank order, unlike MPI's usual order),
    /// and every rank takes the sum. A rank left waiting for 5 minutes (another failed) throws.
    final class ThreadExchange: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var contributions: [[Double]?]
        private var result: [Double]?
        private var taken = 0

        init(size: Int) {
            self.size = size
            contributions = Array(repeating: nil, count: size)
        }

        struct Abandoned: Error {}

        func sum(_ values: [Double], rank: Int) throws -> [Double] {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(300)
            func wait() throws { guard condition.wait(until: deadline) else { throw Abandoned() } }
            while result != nil { try wait() }
            contributions[rank] = values
            if contributions.allSatisfy({ $0 != nil }) {
                var s = contributions[size - 1]!
                for r in (0 ..< size - 1).reversed() {
                    precondition(contributions[r]!.count == s.count, "ranks exchange different lengths")
                    for i in s.indices { s[i] += contributions[r]![i] }
                }
                result = s
                contributions = Array(repeating: nil, count: size)
                taken = 0
                condition.broadcast()
            } else {
                while result == nil { try wait() }
            }
            let r = result!
            taken += 1
            if taken == size { result = nil; condition.broadcast() }
            return r
        }
    }

    /// One rank of a `ThreadExchange`.
    final class ThreadCommunicator: Communicator {
        let rank: Int
        let exchange: ThreadExchange
        var size: Int { exchange.size }
        init(rank: Int, _ exchange: ThreadExchange) { self.rank = rank; self.exchange = exchange }
        final class Done: CommunicationRequest { func wait() throws {} }
        func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest {
            tensor.copy(from: try exchange.sum(tensor.toArray().map(Double.init), rank: rank).map { Float($0) })
            return Done()
        }
        func allReduceSum(_ values: [Double], label: String) throws -> [Double] { try exchange.sum(values, rank: rank) }
        func allGather(_ value: UInt64, label: String) throws -> [UInt64] { [UInt64](repeating: value, count: size) }
        func barrier(label: String) throws { _ = try exchange.sum([], rank: rank) }
        func finish() {}
        func abort(reason: String) {}
    }

    let globalBatch = 16, steps = 2

    func configuration(shardSize: Int?) -> TrainingConfiguration {
        let model = VGGOptions(configuration: .A, batchNorm: true, classes: 4, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 32, widthDivisor: 16, dropout: 0.5)
        var c = TrainingConfiguration(model: model, data: DatasetSpec(kind: .idx, path: "/nonexistent"))
        c.batchSize = globalBatch
        c.learningRate = 0.05
        c.seed = 7
        c.reproducibleShardSize = shardSize
        return c
    }

    /// A backend of its own for every rank (each rank runs on its own thread), all alike.
    func backend() throws -> any Backend { try BackendKind.makeFromEnvironment() }

    /// Step `step`'s global batch: images of varied scale and offset per channel, so that the
    /// shards' statistics differ.
    func images(step: Int) -> (images: [Float], labels: [Int32]) {
        var g = SplitMix64(seed: UInt64(100 + step))
        let images = (0 ..< globalBatch * 32 * 32).map { i in Float.random(in: 0 ..< 1, using: &g) * Float(1 + i / (32 * 32) % 3) - 0.3 }
        return (images, (0 ..< globalBatch).map { Int32(($0 + step) % 4) })
    }

    /// Rank `rank` of `ranks`' slice of step `step`'s global batch.
    func batch(step: Int, rank: Int, of ranks: Int) -> Batch {
        let (x, y) = images(step: step)
        let n = globalBatch / ranks, perImage = 32 * 32
        return Batch(images: Array(x[rank * n * perImage ..< (rank + 1) * n * perImage]), shape: [n, 1, 32, 32],
                     labels: Array(y[rank * n ..< (rank + 1) * n]), globalCount: globalBatch, firstInGlobalBatch: rank * n)
    }

    /// What a test compares: every parameter and buffer as bit patterns, and every layer's
    /// `batchesTracked`.
    struct State: Equatable {
        var values: [UInt32], buffers: [UInt32], batchesTracked: [Int]
        init(_ m: TrainingModel) {
            values = m.network.store.values.toArray().map(\.bitPattern)
            buffers = m.network.bufferStore.values.toArray().map(\.bitPattern)
            batchesTracked = m.network.batchNormLayers.map(\.batchesTracked)
        }
    }

    /// Trains `steps` steps on `ranks` ranks (threads) and returns each rank's state.
    func train(ranks: Int, shardSize: Int) throws -> [State] {
        let exchange = ThreadExchange(size: ranks)
        let models = try (0 ..< ranks).map { r in
            try TrainingModel(configuration(shardSize: shardSize), sampleShape: [1, 32, 32], on: try backend(),
                              communicator: ranks == 1 ? SingleProcessCommunicator() : ThreadCommunicator(rank: r, exchange))
        }
        final class Failures: @unchecked Sendable {
            let lock = NSLock()
            var errors: [any Error] = []
        }
        let failures = Failures()
        let group = DispatchGroup()
        for (r, model) in models.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    for step in 0 ..< self.steps {
                        let result = try model.step(self.batch(step: step, rank: r, of: ranks), index: step, learningRate: 0.05)
                        XCTAssertTrue(result.loss.isFinite)
                    }
                } catch {
                    failures.lock.lock(); failures.errors.append(error); failures.lock.unlock()
                }
            }
            thread.start()
        }
        group.wait()
        if let e = failures.errors.first { throw e }
        return models.map(State.init)
    }

    func testOneProcessEqualsTwoAndFourRanksBitForBit() throws {
        let one = try train(ranks: 1, shardSize: 4)
        XCTAssertEqual(one[0].batchesTracked, Array(repeating: steps, count: one[0].batchesTracked.count), "one update per step")
        XCTAssertNotEqual(one[0].buffers, State(try TrainingModel(configuration(shardSize: 4), sampleShape: [1, 32, 32], on: try backend(),
                                                                   communicator: SingleProcessCommunicator())).buffers,
                          "the running statistics moved")
        for ranks in [2, 4] {
            let split = try train(ranks: ranks, shardSize: 4)
            for (r, s) in split.enumerated() {
                XCTAssertTrue(s == one[0], "\(ranks) ranks: rank \(r) differs from 1 process")
            }
        }
        // The shards matter: with shards of 8 the same data train differently.
        XCTAssertNotEqual(try train(ranks: 1, shardSize: 8)[0].values, one[0].values)
    }

    /// One step's update of the first BatchNorm layer (whose input, the first convolution's
    /// output, does not depend on the normalisation) equals, within rounding, that of an
    /// ordinary step on the whole batch: the global batch's mean and unbiased variance, once.
    func testRunningStatisticsAreTheWholeBatchsOnce() throws {
        func firstLayer(shardSize: Int?) throws -> (mean: [Float], variance: [Float], tracked: Int) {
            let m = try TrainingModel(configuration(shardSize: shardSize), sampleShape: [1, 32, 32], on: try backend(),
                                      communicator: SingleProcessCommunicator())
            _ = try m.step(batch(step: 0, rank: 0, of: 1), index: 0, learningRate: 0.05)
            let bn = m.network.batchNormLayers[0]
            return (bn.runningMean.value.toArray(), bn.runningVariance.value.toArray(), bn.batchesTracked)
        }
        let whole = try firstLayer(shardSize: nil), ghost = try firstLayer(shardSize: 4)
        XCTAssertEqual(ghost.tracked, 1)
        XCTAssertEqual(whole.tracked, 1)
        for (a, b) in zip(ghost.mean + ghost.variance, whole.mean + whole.variance) {
            XCTAssertEqual(a, b, accuracy: 1e-5 * max(abs(b), 1))
        }
        XCTAssertNotEqual(whole.variance, [Float](repeating: 1, count: whole.variance.count), "the variance moved")
    }

    func testSynchronisedBatchNormIsRefused() throws {
        var c = configuration(shardSize: 4)
        c.syncBatchNorm = true
        XCTAssertThrowsError(try TrainingModel(c, sampleShape: [1, 32, 32], on: try backend(), communicator: SingleProcessCommunicator())) { e in
            XCTAssertTrue("\(e)".contains("--sync-batch-norm"), "\(e)")
        }
    }
}
