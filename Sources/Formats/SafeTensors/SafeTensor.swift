import Tensors
/// A tensor read from or written to a safetensors file: a shape and its values in row-major
/// (C) order, as PyTorch stores them (NCHW for activations, [out, in, kh, kw] for conv weights).
public struct SafeTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}
