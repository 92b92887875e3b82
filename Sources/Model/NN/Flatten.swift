import Tensors

/// Flattens `[N, C, H, W]` to `[N, C·H·W]` in PyTorch's (NCHW) element order, so that
/// fully connected weights are interchangeable with torchvision's. Where the NHWC order
/// is already the NCHW one (one channel, or 1×1 maps) it is a view, no copy.
public final class Flatten: Layer, InputGradientWriter, OutputWriter {
    public var kind: String { "flatten" }
    private var backend: (any Backend)?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Memory the network lends for the input gradient (see `InputGradientWriter`).
    public var lentInputGradient: Storage? { didSet { if lentInputGradient !== oldValue { inputGradient = nil } } }
    /// Memory the network lends for the output of an inference-only plan (see `OutputWriter`).
    public var lentOutput: Storage? { didSet { if lentOutput !== oldValue { output = nil } } }
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count >= 2 else { throw ShapeError("flatten expects a batch, got \(input)") }
        return [input[0], input.dropFirst().reduce(1, *)]
    }

    /// Whether NHWC memory must be reordered (more than one channel and more than one position).
    private var reorders: Bool { Self.reorders(inputShape) }
    private static func reorders(_ s: [Int]) -> Bool { s.count == 4 && s[1] > 1 && s[2] * s[3] > 1 }

    /// Only a reordering flatten writes its input gradient; otherwise it hands `dy` back reshaped.
    public func writesInputGradient(inputShape: [Int]) -> Bool { Self.reorders(inputShape) }
    /// Only a reordering flatten writes its output; otherwise it hands its input on reshaped.
    public func writesOutput(inputShape: [Int]) -> Bool { Self.reorders(inputShape) }

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        _ = try outputShape(for: inputShape)
        self.inputShape = inputShape
        self.backend = backend
        if reorders {
            output = outputTensor(output, shape: inputShape, layout: .nchw, on: backend)
            if propagateDown { inputGradient = inputGradientTensor(inputGradient, shape: inputShape, layout: .nhwc, on: backend) }
        }
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        let flat = try! outputShape(for: x.shape)
        guard reorders && x.layout == .nhwc else { return x.reshaped(flat, layout: .nchw) }
        backend!.permute(x, into: output!)
        return output!.reshaped(flat)
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard reorders else { return dy.reshaped(inputShape, layout: .nhwc) }
        if inputGradient?.shape != inputShape { inputGradient = inputGradientTensor(inputGradient, shape: inputShape, layout: .nhwc, on: backend!) }
        backend!.permute(dy.reshaped(inputShape, layout: .nchw), into: inputGradient!)
        return inputGradient
    }
}
