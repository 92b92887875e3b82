/// An op a backend cannot plan or run (a library refused it, a library is missing), naming
/// the operation.
public struct BackendError: Error, CustomStringConvertible {
    public let operation: String
    public let problem: String
    public init(operation: String, problem: String) { self.operation = operation; self.problem = problem }
    public var description: String { "\(operation): \(problem)" }
}
