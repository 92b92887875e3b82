/// An output directory that cannot be used, naming it and why.
public struct WritableDirectoryError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "output directory \(path) \(problem)" }
}
