import Foundation
import Support
import Tensors
import TestSupport
import Training
import XCTest

/// `ShardedGradientSum`'s in-place tree on the backend against the naive tree of host arrays
/// ([lo, hi) = [lo, mid) + [mid, hi)), bit for bit, for several numbers of shards and of
/// processes; the processes are threads sharing `SimulatedWorld`, whose all-reduce adds each
/// element's contributions in an order of its own (as MPI may), and over two steps (the pool
/// and the exchange's slots reused).
final class ShardedGradientSumTests: XCTestCase {
    /// An all-reduce among `size` threads: the last to arrive adds every contribution, element
    /// by element, starting at a rank and in a direction that depend on the element and the
    /// round (so no fixed order of the ranks can be what makes a result right).
    final class SimulatedWorld: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var deposits: [[Float]?]
        private var results: [Int: [Float]] = [:]
        private var round = 0
        private(set) var floatsReduced = 0

        init(size: Int) { self.size = size; deposits = Array(repeating: nil, count: size) }

        func allReduce(rank: Int, _ values: [Float]) -> [Float] {
            condition.lock(); defer { condition.unlock() }
            let mine = round
            deposits[rank] = values
            if deposits.allSatisfy({ $0 != nil }) {
                let all = deposits.map { $0! }
                results[mine] = (0 ..< values.count).map { i in
                    let start = (i * 7 + mine) % size, step = (i / size + mine) % 2 == 0 ? 1 : size - 1
                    var sum = all[start][i]
                    for k in 1 ..< size { sum += all[(start + k * step) % size][i] }
                    return sum
                }
                floatsReduced += values.count
                deposits = Array(repeating: nil, count: size)
                round += 1
                condition.broadcast()
            } else {
                while round == mine { condition.wait() }
            }
            return results[mine]!
        }
    }

    final class SimulatedCommunicator: Communicator {
        let world: SimulatedWorld
        let rank: Int
        var size: Int { world.size }
        init(_ world: SimulatedWorld, rank: Int) { self.world = world; self.rank = rank }
        final class Done: CommunicationRequest { func wait() throws {} }
        func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest {
            tensor.copy(from: world.allReduce(rank: rank, tensor.toArray()))
            return Done()
        }
        func allReduceSum(_ values: [Double], label: String) throws -> [Double] { preconditionFailure("not used by the sum") }
        func allGather(_ value: UInt64, label: String) throws -> [UInt64] { preconditionFailure("not used by the sum") }
        func barrier(label: String) throws {}
        func finish() {}
        func abort(reason: String) {}
    }

    /// What each simulated process ends with: its gradients after every step, its kept tensors.
    final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [[[Float]]], kept: [Int]
        init(_ processes: Int) { results = Array(repeating: [], count: processes); kept = Array(repeating: 0, count: processes) }
        func record(_ rank: Int, _ gradients: [[Float]], kept tensors: Int) {
            lock.lock(); defer { lock.unlock() }
            results[rank] = gradients; kept[rank] = tensors
        }
        func read() -> ([[[Float]]], [Int]) { lock.lock(); defer { lock.unlock() }; return (results, kept) }
    }

    /// The fixed tree, the obvious way.
    func naiveTree(_ leaves: [[Float]], _ lo: Int, _ hi: Int) -> [Float] {
        if hi - lo == 1 { return leaves[lo] }
        let mid = (lo + hi) / 2
        return zip(naiveTree(leaves, lo, mid), naiveTree(leaves, mid, hi)).map { $0 + $1 }
    }

    /// Shard gradients whose sum depends on the order of the additions (magnitudes from 1e-4
    /// to 1e4), with zeros of both signs, elements where every shard is −0 (their sum is −0
    /// in the tree) and elements where the shards cancel exactly.
    func leaves(_ shards: Int, _ count: Int, seed: UInt64) -> [[Float]] {
        var g = Xoshiro256(seed: seed)
        var leaves = (0 ..< shards).map { _ in
            (0 ..< count).map { _ in Float.random(in: -1 ... 1, using: &g) * Float(pow(10, Double.random(in: -4 ... 4, using: &g))) }
        }
        for i in stride(from: 0, to: count, by: 11) { for s in 0 ..< shards { leaves[s][i] = -0.0 } }
        for i in stride(from: 5, to: count, by: 13) { for s in 0 ..< shards { leaves[s][i] = s % 2 == 0 ? 0 : -0.0 } }
        for i in stride(from: 7, to: count, by: 17) where shards % 2 == 0 { for s in 0 ..< shards { leaves[s][i] = s % 2 == 0 ? 3.5 : -3.5 } }
        return leaves
    }

    func testInPlaceTreeEqualsTheNaiveTreeForEveryLayout() throws {
        let count = 1001
        let backend = TestBackends.reference
        var checked = 0
        for shards in [1, 2, 3, 4, 5, 6, 8, 12, 16] {
            let steps = (0 ..< 2).map { leaves(shards, count, seed: UInt64(100 * shards + $0)) }
            let expected = steps.map { naiveTree($0, 0, shards) }
            if shards >= 3 {
                // The data are such that another order of the same additions gives other bits.
                let sequential = steps[0].dropFirst().reduce(steps[0][0]) { zip($0, $1).map { $0 + $1 } }
                XCTAssertNotEqual(sequential.map(\.bitPattern), expected[0].map(\.bitPattern), "\(shards) shards: the test cannot tell the orders apart")
            }
            for processes in [1, 2, 4, 8] where shards % processes == 0 {
                let world = SimulatedWorld(size: processes)
                let perProcess = shards / processes
                let outcome = Outcome(processes)
                let group = DispatchGroup()
                for rank in 0 ..< processes {
                    group.enter()
                    let thread = Thread {
                        let gradients = Tensor(shape: [count], on: backend)
                        let sum = ShardedGradientSum(gradients: gradients, on: backend, shardSize: 1, shardsPerProcess: perProcess,
                                                     communicator: SimulatedCommunicator(world, rank: rank))
                        var mine: [[Float]] = []
                        for step in steps {
                            sum.beginStep()
                            for j in 0 ..< perProcess {
                                gradients.copy(from: step[rank * perProcess + j])  // what a backward pass leaves
                                sum.addShard(j)
                            }
                            try! sum.finishStep(label: "a test step")
                            mine.append(gradients.toArray())
                        }
                        outcome.record(rank, mine, kept: sum.keptTensors)
                        group.leave()
                    }
                    thread.start()
                }
                group.wait()
                let (results, kept) = outcome.read()
                let layout = "\(shards) shards, \(processes) processes"
                for rank in 0 ..< processes {
                    XCTAssertEqual(results[rank].count, steps.count, "\(layout), rank \(rank)")
                    for (step, result) in results[rank].enumerated() {
                        let differ = (0 ..< count).filter { result[$0].bitPattern != expected[step][$0].bitPattern }
                        XCTAssertTrue(differ.isEmpty, "\(layout), rank \(rank), step \(step + 1): \(differ.count) of \(count) elements differ, "
                                      + "first \(differ.first.map { "[\($0)] \(result[$0]) where the tree gives \(expected[step][$0])" } ?? "")")
                    }
                    // The pool: one tensor per level waiting (⌈log2 shards per process⌉), plus the slots from 4 processes on.
                    let levels = perProcess > 1 ? Int(log2(Double(perProcess)).rounded(.up)) : 0
                    XCTAssertLessThanOrEqual(kept[rank], levels + (processes >= 4 ? 1 : 0), layout)
                }
                // What travels: one gradient for two processes, N / 2 from four on.
                XCTAssertEqual(world.floatsReduced, processes == 1 ? 0 : steps.count * count * max(1, processes / 2), layout)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 21)
    }

    func testTheDefaultShardSizeServesOneTwoAndFourProcesses() {
        XCTAssertEqual([64, 256, 128, 6, 7, 2, 1].map { ShardedGradientSum.defaultShardSize(batch: $0) }, [16, 64, 32, 3, 7, 1, 1])
        for batch in [4, 64, 256, 1000] {
            let shard = ShardedGradientSum.defaultShardSize(batch: batch)
            for n in [1, 2, 4] { XCTAssertNil(ShardedGradientSum.problem(batch: batch, shard: shard, processes: n), "batch \(batch), \(n) processes") }
            XCTAssertNotNil(ShardedGradientSum.problem(batch: batch, shard: shard, processes: 8), "batch \(batch): 4 shards do not divide among 8")
        }
    }

    func testTheCPUBackendsAdditionIsTheReferencesBitForBit() throws {
        // Counts above the C kernel's threading threshold (2^18) split among threads; −0 + +0 is +0.
        for count in [1, 33, 300_007] {
            var g = Xoshiro256(seed: UInt64(count))
            var x = (0 ..< count).map { _ in Float.random(in: -1 ... 1, using: &g) }, y = (0 ..< count).map { _ in Float.random(in: -1e3 ... 1e3, using: &g) }
            x[0] = -0.0; y[0] = 0
            let results = TestBackends.all.map { backend -> [UInt32] in
                let a = Tensor(x, shape: [count], on: backend), b = Tensor(y, shape: [count], on: backend)
                backend.add(a, to: b)
                XCTAssertEqual(a.toArray(), x, "\(backend.name): x unchanged")
                return b.toArray().map(\.bitPattern)
            }
            XCTAssertEqual(results[0], zip(x, y).map { ($1 + $0).bitPattern }, "\(TestBackends.all[0].name), \(count) elements")
            XCTAssertEqual(results.last, results.first, "\(count) elements")
        }
    }
}
