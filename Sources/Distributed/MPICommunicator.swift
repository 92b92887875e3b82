import CMPIShim
import Foundation
@_spi(BackendImplementation) import Tensors

/// The processes of an `mpirun` job (Open MPI, loaded at run time), as a `Communicator`.
///
/// One communication thread owns MPI (it initialises it, `MPI_THREAD_FUNNELED`, and makes
/// every call): the caller queues an operation and goes on, so a gradient all-reduce
/// proceeds while the backward pass computes the next layers. The thread drives MPI's
/// non-blocking collectives (polled with short sleeps), and for gradient sums a polled
/// barrier followed by Open MPI's blocking all-reduce, whose tuned ring algorithm moves
/// large buffers 2.5 times faster than the non-blocking one.
/// Across hosts that each hold the same number of ranks, `scheme` may sum inside each host
/// first (`AllReduceScheme`; `flat`, Open MPI's own all-reduce, by default).
///
/// Unless the environment says otherwise, MPI waits yield the processor
/// (`OMPI_MCA_mpi_yield_when_idle=1`): a communication thread spinning inside a collective
/// takes a core from the compute threads of its own and other ranks on the machine.
///
/// Faults: an operation that has not completed after `timeout` seconds ends the job
/// (`MPI_Abort`) with a message naming this rank and, on rank 0, the ranks that never
/// started it: every rank tells rank 0 the number of each collective it starts (a small
/// point-to-point heartbeat). The ranks exchange their hostnames at start, and each holds a
/// small TCP connection to rank 0 beside MPI (`PeerMonitor`): a rank killed, or whose host
/// goes, is named with its host by rank 0 at once, and one cut off is named with its host and
/// its silence in the timeout message. The failing rank's `MPI_Abort` is bounded by its own
/// exit, and a rank started by mpirun itself ends an mpirun that cannot finish the abort
/// (it waits on an unreachable host's daemon).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let timeout: Double
    private let worker: CommunicationThread

    /// Loads Open MPI (`library`, default `libmpi.so.40`), starts the communication thread and
    /// initialises MPI on it.
    /// `scheme`: how gradients are summed when the ranks span hosts (`AllReduceScheme`).
    public init(timeout: Double = 60, scheme: AllReduceScheme = .flat, library: String? = nil) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard vgg_mpi_load(library, &message, Int32(message.count)) == 0 else {
            throw CommunicationError(rank: MPIEnvironment.launch()?.rank ?? 0,
                                     "cannot use MPI: \(String(cString: message)) (install Open MPI 4: apt-get install libopenmpi-dev openmpi-bin)")
        }
        if getenv("OMPI_MCA_mpi_yield_when_idle") == nil { setenv("OMPI_MCA_mpi_yield_when_idle", "1", 1) }
        self.timeout = timeout
        worker = CommunicationThread(timeout: timeout, scheme: scheme)
        (rank, size) = try worker.start()
    }

    /// The all-reduce scheme that runs for gradient sums (`flat` unless the layout fits a hierarchical one).
    public var allReduceScheme: AllReduceScheme { worker.scheme }

    /// Whether some rank runs on another host (hostnames differ): gradients then cross a network.
    public var spansHosts: Bool { worker.spansHosts }

    /// `rank N (host H)`, with the hostnames the ranks exchanged at start.
    public func name(ofRank rank: Int) -> String { worker.name(ofRank: rank) }

    /// Why `abort` was called, if it was.
    public private(set) var abortReason: String?

    /// Finalises MPI (after the queued operations), unless `abort` was called. Call it once the
    /// job has succeeded. Dropping the communicator does not finalise.
    public func finish() {
        guard abortReason == nil else { return }
        worker.stop()
    }

    @available(*, deprecated, renamed: "finish()")
    public func shutdown() { finish() }

    /// A failed process leaves MPI unfinalised (MPI_Finalize would wait for the other ranks):
    /// once it exits with an error, mpirun ends the whole job.
    public func abort(reason: String) {
        if abortReason == nil { abortReason = reason }
    }

    public func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest {
        if size == 1 { return CommunicationThread.Job(label: label, completed: true) }
        if tensor.device != .host {
            try throughHost(tensor) { try worker.submit(.floatSum($0, $1, precision), label: label).wait() }
            return CommunicationThread.Job(label: label, completed: true)
        }
        return try worker.submit(.floatSum(tensor.hostPointer, tensor.count, precision), label: label)
    }

    /// Open MPI here is not CUDA-aware: a device tensor's values are copied to host memory,
    /// `body` runs on them (and completes), and they are copied back.
    private func throughHost(_ tensor: Tensor, _ body: (UnsafeMutablePointer<Float>, Int) throws -> Void) throws {
        var values = tensor.toArray()
        try values.withUnsafeMutableBufferPointer { try body($0.baseAddress!, $0.count) }
        tensor.copy(from: values)
    }

    /// A power-of-two number of ranks, 2 or more.
    public var hasTreeSum: Bool { size >= 2 && size & (size - 1) == 0 }

    /// The tree sum in Open MPI's point-to-point messages: a reduce-scatter by recursive
    /// halving, an all-gather back (`vgg_mpi_tree_allreduce`).
    public func treeSum(_ tensor: Tensor, label: String) throws {
        precondition(hasTreeSum, "the tree sum needs a power-of-two number of ranks")
        if tensor.device != .host {
            try throughHost(tensor) { try worker.submit(.treeSum($0, $1), label: label).wait() }
            return
        }
        try worker.submit(.treeSum(tensor.hostPointer, tensor.count), label: label).wait()
    }

    public func allReduceSum(_ values: [Double], label: String) throws -> [Double] {
        if size == 1 || values.isEmpty { return values }
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: values.count)
        defer { buffer.deallocate() }
        buffer.initialize(from: values, count: values.count)
        try worker.submit(.doubleSum(buffer, values.count), label: label).wait()
        return Array(UnsafeBufferPointer(start: buffer, count: values.count))
    }

    public func allGather(_ value: UInt64, label: String) throws -> [UInt64] {
        if size == 1 { return [value] }
        let input = UnsafeMutablePointer<UInt64>.allocate(capacity: 1), output = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        defer { input.deallocate(); output.deallocate() }
        input.pointee = value
        try worker.submit(.gather(input, output), label: label).wait()
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    public func barrier(label: String) throws {
        if size == 1 { return }
        try worker.submit(.barrier, label: label).wait()
    }
}
