import Tensors
/// A problem with a safetensors file (or with tensors to be written), naming the file.
public struct SafeTensorsError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
