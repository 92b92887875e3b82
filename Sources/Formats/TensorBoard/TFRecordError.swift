/// A TFRecord file that cannot be read or written, naming the file and what is wrong.
public struct TFRecordError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) { self.path = path; self.problem = problem }

    public var description: String { "\(path): \(problem)" }
}
