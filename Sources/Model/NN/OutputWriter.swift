import Tensors

/// A layer whose forward pass writes its output into a buffer of its own (rather than in
/// place, as ReLU does, or handing its input on, as dropout does at inference).
///
/// For a plan for inference only, a `Sequential` lends such layers one of two buffers it
/// shares among them, alternating along the network, since no activation is kept for a
/// backward pass: the network then holds two activation buffers, the size of its largest,
/// instead of one per layer. Training plans keep every layer's output (the backward pass
/// reads them), so nothing is lent to them.
public protocol OutputWriter: Layer {
    /// Memory lent by the network for the output, or nil.
    var lentOutput: Storage? { get set }
    /// Whether the forward pass for this input shape writes a new output (true by default)
    /// rather than handing its input on (a flatten that needs no reordering).
    func writesOutput(inputShape: [Int]) -> Bool
}

extension OutputWriter {
    public func writesOutput(inputShape: [Int]) -> Bool { true }

    /// The output tensor of `shape`: a view of the lent memory when it is there and large
    /// enough, else `previous`'s memory or new memory (`Tensor.reusing`).
    func outputTensor(_ previous: Tensor?, shape: [Int], layout: MemoryLayout4D = .nchw, on backend: any Backend) -> Tensor {
        if let lent = lentOutput, lent.memory === backend.memory, lent.count >= shape.reduce(1, *) {
            return Tensor(viewing: lent, shape: shape, layout: layout)
        }
        if let previous, let lent = lentOutput, previous.storage === lent {
            return Tensor(shape: shape, layout: layout, on: backend)
        }
        return Tensor.reusing(previous, shape: shape, layout: layout, on: backend)
    }
}
