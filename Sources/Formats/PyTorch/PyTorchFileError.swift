import SafeTensorsFormat
/// A PyTorch `.pth` file that cannot be read (or is refused), naming the file.
public struct PyTorchFileError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
