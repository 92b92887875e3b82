/// An error in building or planning a network: a shape that cannot work, a bad argument.
public struct ShapeError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
