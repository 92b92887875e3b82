/// The processes that train one model together (data parallelism), passed explicitly to
/// whatever needs them. Between a step's backward pass and its optimizer update the
/// gradients of every process are summed here; only the root process (rank 0) reports and
/// writes checkpoints. `label` names an operation in errors (a timeout says which one).
public protocol Communicator: AnyObject {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }
    /// Starts summing `tensor` element-wise over the processes, in place; the sum is there
    /// once the request's `wait` returns (meanwhile the caller may go on computing, but not
    /// touch `tensor`). `precision` `.bfloat16` sends half the bytes (values rounded to bf16).
    func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest
    /// Whether `treeSum` can run here (under mpirun: a power-of-two number of processes ≥ 2).
    var hasTreeSum: Bool { get }
    /// Sums `tensor` over the processes in place in one fixed binary tree over the ranks:
    /// ranks 2k and 2k + 1 first, then pairs of pairs, each addition the lower ranks' subtree
    /// + the higher ranks', one float32 rounding per element and level, so every process gets
    /// the same bits for any number of processes. Returns once the sum is there. Only where
    /// `hasTreeSum` (elsewhere a caller builds the tree from `startAllReduceSum`, which is exact
    /// for two operands per element).
    func treeSum(_ tensor: Tensor, label: String) throws
    /// Sums host numbers over the processes (exact for integers below 2^53).
    func allReduceSum(_ values: [Double], label: String) throws -> [Double]
    /// Every process's value, by rank.
    func allGather(_ value: UInt64, label: String) throws -> [UInt64]
    /// Returns when every process has called it.
    func barrier(label: String) throws
    /// Ends this process's part in a job that went well, once every operation it queued is
    /// done (several processes: waits for the others to finish too). Call it once, last.
    func finish()
    /// Ends this process's part in a job that failed here, for `reason` (the error the program
    /// reports): nothing more is sent, and the other processes are not waited for, so that the
    /// job ends rather than hangs once this process exits with an error. `finish` then does nothing.
    func abort(reason: String)
    /// How messages name process `rank`: `rank N`, with its host where the processes span
    /// several (`rank N (host H)`).
    func name(ofRank rank: Int) -> String
}

/// A collective operation under way.
public protocol CommunicationRequest: AnyObject {
    /// Returns once the operation has completed (or throws why it cannot).
    func wait() throws
}

/// The element type an all-reduce sends.
public enum AllReducePrecision: String, Sendable, Codable, CaseIterable {
    case float32
    /// bfloat16: half the bytes, about 3 significant digits.
    case bfloat16
}

extension Communicator {
    public func name(ofRank rank: Int) -> String { "rank \(rank)" }

    /// No tree sum of its own (see the requirement).
    public var hasTreeSum: Bool { false }
    public func treeSum(_ tensor: Tensor, label: String) throws {
        preconditionFailure("\(type(of: self)) has no tree sum: check hasTreeSum")
    }

    /// Whether this process reports and writes files (rank 0).
    public var isRoot: Bool { rank == 0 }

    /// Sums `tensor` over the processes, in place, and returns when done.
    public func allReduceSum(_ tensor: Tensor, label: String) throws {
        try startAllReduceSum(tensor, precision: .float32, label: label).wait()
    }
}
