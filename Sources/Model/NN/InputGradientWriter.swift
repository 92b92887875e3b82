import Tensors

/// A layer whose backward pass writes the input gradient into a buffer (rather than in place
/// into the output gradient, as ReLU and dropout do).
///
/// A `Sequential` lends such layers one of two buffers it shares among them, alternating along
/// the network so that no layer's input gradient lands where its output gradient lies: a
/// network then holds two input-gradient buffers, the size of its largest, instead of one
/// per layer (on VGG-16 at 224 px, batch 128: 3.3 GB instead of 8.5 GB). A layer used on its
/// own, or given no buffer, allocates its own.
public protocol InputGradientWriter: Layer {
    /// Memory lent by the network for the input gradient, or nil.
    var lentInputGradient: Storage? { get set }
    /// Whether the backward pass for this input shape writes a new input gradient (true by
    /// default) rather than handing the output gradient back as it is (a flatten that needs
    /// no reordering).
    func writesInputGradient(inputShape: [Int]) -> Bool
}

extension InputGradientWriter {
    public func writesInputGradient(inputShape: [Int]) -> Bool { true }

    /// The input-gradient tensor of `shape`: a view of the lent memory when it is there and
    /// large enough, else `previous`'s memory or new memory (`Tensor.reusing`).
    func inputGradientTensor(_ previous: Tensor?, shape: [Int], layout: MemoryLayout4D = .nchw, on backend: any Backend) -> Tensor {
        if let lent = lentInputGradient, lent.memory === backend.memory, lent.count >= shape.reduce(1, *) {
            return Tensor(viewing: lent, shape: shape, layout: layout)
        }
        if let previous, let lent = lentInputGradient, previous.storage === lent {
            return Tensor(shape: shape, layout: layout, on: backend)
        }
        return Tensor.reusing(previous, shape: shape, layout: layout, on: backend)
    }
}
