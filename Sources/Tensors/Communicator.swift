/// The processes that train one model together (data parallelism), passed explicitly to
/// whatever needs them. Between a step's backward pass and its optimizer update the
/// gradients of every process are averaged here; only the root process (rank 0) reports
/// and writes checkpoints.
public protocol Communicator: AnyObject {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }
    /// Replaces `tensor` in every process by its average over the processes.
    func allReduceAverage(_ tensor: Tensor) throws
    /// Returns when every process has called it.
    func barrier() throws
}

extension Communicator {
    /// Whether this process reports and writes files (rank 0).
    public var isRoot: Bool { rank == 0 }
}
