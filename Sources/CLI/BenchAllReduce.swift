import ArgumentParser
import Distributed
import Foundation
import Support
import Tensors

/// `vgg bench --allreduce MIB`: all-reduce time and bandwidth across the ranks of mpirun.
extension BenchCommand {
    /// Median time of all-reduces of `mb` MiB, as float32 and bfloat16, with the bus
    /// bandwidth of nccl-tests (2(N−1)/N · bytes / time: what each link carries).
    func runAllReduce(_ mb: Double, _ communicator: any Communicator) throws {
        let n = communicator.size
        guard n > 1 else { throw ValidationError("--allreduce measures the ranks of a job: run it under mpirun -np N") }
        let count = max(1, Int(mb * 1048576 / 4))
        let mine = Float(communicator.rank + 1), expected = Float(n * (n + 1) / 2)
        let t = Tensor([Float](repeating: mine, count: count), shape: [count], on: HostMemory.shared)
        let scheme = (communicator as? MPICommunicator)?.allReduceScheme ?? .flat
        var record = AllReduceBenchRecord(ranks: n, mib: mb, scheme: scheme.rawValue)
        print("all-reduce of \(formatFixed(mb, decimals: 1)) MiB of float32 gradients across \(n) ranks (\(scheme.rawValue))")
        /// The median of `iterations` runs of a sum that `prepare` sets up, in seconds; the tensor
        /// it returns must then hold `expected` everywhere (`what` names the sum in the error).
        func timed(_ what: String, _ expected: Float, _ prepare: () -> (Tensor, () throws -> Void)) throws -> Double {
            var times: [Double] = []
            for it in 0..<(warmup + iterations) {
                let (result, run) = prepare()
                try communicator.barrier(label: "benchmark barrier")
                let t0 = Clock.now()
                try run()
                if it >= warmup { times.append(Clock.now() - t0) }
                let got = result.toArray()
                if let bad = got.firstIndex(where: { $0 != expected }) {
                    throw ValidationError("--allreduce: the \(what) gave \(got[bad]) at element \(bad), not \(expected)")
                }
            }
            return median(times)
        }
        for precision in AllReducePrecision.allCases {
            // Each rank sends rank + 1 everywhere: the sum is exact in either precision (small integers).
            let m = try timed("\(precision.rawValue) sum (\(scheme.rawValue))", expected) {
                t.fill(mine)
                return (t, { try communicator.startAllReduceSum(t, precision: precision, label: "benchmark all-reduce").wait() })
            }
            let sent = Double(count * (precision == .float32 ? 4 : 2))
            let bus = 2 * Double(n - 1) / Double(n) * sent / m
            print(String(format: "%@: median %.2f ms, algorithm bandwidth %.2f GB/s, bus bandwidth %.2f GB/s",
                         precision.rawValue, m * 1e3, sent / m / 1e9, bus / 1e9))
            switch precision {
            case .float32: (record.float32Ms, record.float32BusGbS) = (m * 1e3, bus / 1e9)
            case .bfloat16: (record.bfloat16Ms, record.bfloat16BusGbS) = (m * 1e3, bus / 1e9)
            }
        }
        if n >= 4 && communicator.hasTreeSum {
            // What --reproducible sends for N ≥ 4: the tree in its order, and the N / 2 slots it
            // falls back to without a tree sum (each rank's gradients in its pair's slot, −0 elsewhere).
            let slots = Tensor(shape: [count * n / 2], on: HostMemory.shared)
            let treeMs = try timed("tree sum", expected) { t.fill(mine); return (t, { try communicator.treeSum(t, label: "benchmark tree sum") }) } * 1e3
            let slotsMs = try timed("slots sum", 3) {   // slot 0: ranks 0 and 1, 1 + 2
                slots.fill(-0.0)
                slots.view(offset: communicator.rank / 2 * count, shape: [count]).fill(mine)
                return (slots.view(offset: 0, shape: [count]), { try communicator.startAllReduceSum(slots, precision: .float32, label: "benchmark slots").wait() })
            } * 1e3
            print(String(format: "--reproducible's exchange (float32): tree sum %.2f ms; %d slots in one all-reduce %.2f ms",
                         treeMs, n / 2, slotsMs))
            (record.reproducibleTreeMs, record.reproducibleSlotsMs) = (treeMs, slotsMs)
        }
        try emit("allreduce", try runtime.makeBackend(), record)
    }
}
