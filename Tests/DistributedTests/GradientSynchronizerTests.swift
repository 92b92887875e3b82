import Distributed
import NN
import Tensors
import TestSupport
import Training
import VGG
import XCTest

/// Gradient buckets: contiguous, covering the flat buffer exactly, in the order backward
/// completes them, started during the backward pass (or after it without overlap).
final class GradientSynchronizerTests: XCTestCase {
    /// Records the all-reduces it is asked for (two "processes" whose other half is zero).
    final class RecordingCommunicator: Communicator {
        var rank: Int { 0 }
        var size: Int { 2 }
        var started: [(range: Int, label: String)] = []
        var waited = 0
        final class Request: CommunicationRequest {
            let done: () -> Void
            init(_ done: @escaping () -> Void) { self.done = done }
            func wait() throws { done() }
        }
        func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest {
            started.append((tensor.count, label))
            return Request { self.waited += 1 }
        }
        func allReduceSum(_ values: [Double], label: String) throws -> [Double] { values }
        func allGather(_ value: UInt64, label: String) throws -> [UInt64] { [value, value] }
        func barrier(label: String) throws {}
        func finish() {}
        func abort(reason: String) {}
    }

    func network() throws -> Sequential {
        try VGGBuilder.build(VGGOptions(configuration: .A, batchNorm: true, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                                        classifierWidth: 256, widthDivisor: 4), on: TestBackends.primary, seed: 1)
    }

    func testBucketsTileTheGradientsInBackwardOrder() throws {
        let net = try network()
        for bytes in [1 << 10, 64 << 10, 1 << 30] {
            let s = GradientSynchronizer(network: net, communicator: RecordingCommunicator(), settings: .init(bucketBytes: bytes))
            var upper = net.store.count
            for b in s.buckets {
                XCTAssertEqual(b.range.upperBound, upper, "contiguous, from the end of the buffer")
                upper = b.range.lowerBound
            }
            XCTAssertEqual(upper, 0, "the buckets cover the whole buffer")
            XCTAssertEqual(s.buckets.map(\.layer), s.buckets.map(\.layer).sorted(by: >), "in the order backward finishes them")
            for b in s.buckets.dropLast() { XCTAssertGreaterThanOrEqual(b.range.count * 4, bytes) }
            if bytes == 1 << 30 { XCTAssertEqual(s.buckets.count, 1) }
        }
    }

    func testBucketsStartDuringBackwardAndAllAreAwaited() throws {
        for overlap in [true, false] {
            let net = try network()
            let c = RecordingCommunicator()
            let s = GradientSynchronizer(network: net, communicator: c, settings: .init(bucketBytes: 64 << 10, overlap: overlap))
            net.observers.append(s)
            let x = Tensor(shape: [4, 1, 32, 32], on: net.backend)
            let loss = SoftmaxCrossEntropy(on: net.backend)
            _ = loss.forward(logits: try net.forward(x, .training(step: 0)), labels: [0, 1, 2, 3])
            s.position = "a test step"
            net.backward(loss.backward())
            XCTAssertEqual(c.started.count, overlap ? s.buckets.count : 0, "overlap: every bucket starts during backward")
            try s.finishStep()
            XCTAssertEqual(c.started.map(\.range).reduce(0, +), net.store.count, "every gradient is summed once")
            XCTAssertEqual(c.waited, c.started.count)
            XCTAssertTrue(c.started.allSatisfy { $0.label.contains("a test step") }, "\(c.started.map(\.label))")
        }
    }

    func testLaunchEnvironment() {
        XCTAssertNil(MPIEnvironment.launch([:]))
        let l = MPIEnvironment.launch(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"])
        XCTAssertEqual(l?.rank, 3); XCTAssertEqual(l?.size, 4); XCTAssertEqual(l?.localSize, 2)
        XCTAssertEqual(MPIEnvironment.defaultThreads(["OMPI_COMM_WORLD_SIZE": "64", "OMPI_COMM_WORLD_RANK": "0",
                                                      "OMPI_COMM_WORLD_LOCAL_SIZE": "64"]), 1, "at least one thread")
    }

    func testSlurmPMIxLaunchEnvironment() {
        // srun --mpi=pmix -N 3 -n 5: PMIX_RANK without PMIX_SIZE; the size and this node's tasks from Slurm.
        let step = ["PMIX_RANK": "4", "PMIX_NAMESPACE": "slurm.pmix.7.0", "SLURM_PROCID": "4", "SLURM_STEP_NUM_TASKS": "5",
                    "SLURM_STEP_TASKS_PER_NODE": "2(x2),1", "SLURM_NODEID": "2"]
        let l = MPIEnvironment.launch(step)
        XCTAssertEqual(l?.rank, 4); XCTAssertEqual(l?.size, 5); XCTAssertEqual(l?.localSize, 1)
        var first = step; first["PMIX_RANK"] = "1"; first["SLURM_NODEID"] = "0"
        XCTAssertEqual(MPIEnvironment.launch(first)?.localSize, 2)
        var unknownNode = step; unknownNode["SLURM_NODEID"] = nil
        XCTAssertEqual(MPIEnvironment.launch(unknownNode)?.localSize, 2, "the largest count when the node is not known")
        XCTAssertNil(MPIEnvironment.slurmStepWithoutMPI(step))
        // mpirun inside an allocation: Open MPI's variables win over the allocation's.
        var mpirun = step; mpirun["OMPI_COMM_WORLD_RANK"] = "0"; mpirun["OMPI_COMM_WORLD_SIZE"] = "2"; mpirun["OMPI_COMM_WORLD_LOCAL_SIZE"] = "1"
        XCTAssertEqual(MPIEnvironment.launch(mpirun)?.size, 2)
    }

    func testSlurmStepWithoutMPI() {
        // srun -n 2 with MpiDefault=none: no launch, and an error naming the task and what to run.
        let plain = ["SLURM_PROCID": "1", "SLURM_STEP_NUM_TASKS": "2", "SLURM_STEP_TASKS_PER_NODE": "1(x2)"]
        XCTAssertNil(MPIEnvironment.launch(plain))
        let why = MPIEnvironment.slurmStepWithoutMPI(plain)
        XCTAssertTrue(why?.contains("task 1 of 2") == true, why ?? "nil")
        XCTAssertTrue(why?.contains("srun --mpi=pmix") == true, why ?? "nil")
        // One task (srun -n 1, or the batch script itself, which has no step variables): fine.
        XCTAssertNil(MPIEnvironment.slurmStepWithoutMPI(["SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1"]))
        XCTAssertNil(MPIEnvironment.slurmStepWithoutMPI(["SLURM_PROCID": "0", "SLURM_NTASKS": "2", "SLURM_TASKS_PER_NODE": "1(x2)"]))
    }
}
