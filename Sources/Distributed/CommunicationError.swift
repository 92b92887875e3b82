/// A collective operation across processes that failed or did not finish (the ranks that fell
/// behind named where known; `rank` is this process's).
public struct CommunicationError: Error, CustomStringConvertible {
    public let rank: Int
    public let message: String
    public init(rank: Int, _ message: String) { self.rank = rank; self.message = message }
    public var description: String { message }
}
