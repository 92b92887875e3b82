/// A failure of a data-parallel run that concerns several processes (the `vgg` tool prefixes
/// every error under mpirun with the rank that prints it).
public struct DistributedError: Error, CustomStringConvertible {
    public let rank: Int
    public let message: String
    public init(rank: Int, _ message: String) { self.rank = rank; self.message = message }
    public var description: String { message }
}
