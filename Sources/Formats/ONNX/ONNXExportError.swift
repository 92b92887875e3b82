/// A network that cannot be written as ONNX, naming the layer and why.
public struct ONNXExportError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
