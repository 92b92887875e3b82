/// One process alone: a sum over one process is the value itself, nothing waits.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }

    /// An operation that completed when it started.
    final class Done: CommunicationRequest {
        func wait() throws {}
    }

    public func startAllReduceSum(_ tensor: Tensor, precision: AllReducePrecision, label: String) throws -> CommunicationRequest { Done() }
    public func allReduceSum(_ values: [Double], label: String) throws -> [Double] { values }
    public func allGather(_ value: UInt64, label: String) throws -> [UInt64] { [value] }
    public func barrier(label: String) throws {}
    /// Nothing to wait for.
    public func finish() {}
    /// No other process to tell.
    public func abort(reason: String) {}
}
