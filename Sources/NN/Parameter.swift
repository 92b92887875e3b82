import Kernels

/// A learnable tensor of a layer (or a non-learnable buffer such as a running mean),
/// with its gradient.
///
/// Once a network is assembled, every parameter's value and gradient become views
/// into two flat buffers (see `ParameterStore`), so that one all-reduce or one
/// optimizer loop covers the whole model.
public final class Parameter {
    /// Local name inside its layer, e.g. `weight`, `bias`, `running_mean`.
    public let name: String
    public let shape: [Int]
    /// False for buffers (running statistics), which the optimizer never touches.
    public let isTrainable: Bool
    /// Learning-rate multiplier (Caffe's `lr_mult`).
    public var learningRateMultiplier: Float = 1
    /// Weight-decay multiplier (Caffe's `decay_mult`).
    public var weightDecayMultiplier: Float = 1

    private var storage: Tensor?
    private var gradientStorage: Tensor?

    public init(_ name: String, shape: [Int], trainable: Bool = true) {
        self.name = name
        self.shape = shape
        self.isTrainable = trainable
    }

    public var count: Int { shape.reduce(1, *) }

    /// The value (allocated on first use).
    public var value: Tensor {
        if let storage { return storage }
        let t = Tensor(shape: shape)
        storage = t
        return t
    }

    /// The gradient (allocated on first use; overwritten by each backward pass).
    public var gradient: Tensor {
        if let gradientStorage { return gradientStorage }
        let t = Tensor(shape: shape)
        gradientStorage = t
        return t
    }

    /// Re-points the value at a slice of a flat buffer, keeping the current value.
    func bind(value v: UnsafeMutablePointer<Float>) {
        if let storage { v.update(from: storage.data, count: count) } else { v.update(repeating: 0, count: count) }
        storage = Tensor(borrowing: v, shape: shape)
    }

    /// Re-points the gradient at a slice of a flat buffer, keeping a gradient already written.
    func bind(gradient g: UnsafeMutablePointer<Float>) {
        if let gradientStorage { g.update(from: gradientStorage.data, count: count) } else { g.update(repeating: 0, count: count) }
        gradientStorage = Tensor(borrowing: g, shape: shape)
    }
}

/// Two contiguous buffers holding every parameter value and gradient of a network,
/// in layer order (the layout a single MPI all-reduce of the gradients needs).
public final class ParameterStore {
    public let values: Tensor
    private var gradientBuffer: Tensor?
    /// The flat gradient buffer, allocated on first use (inference-only networks never need it).
    public var gradients: Tensor {
        if let gradientBuffer { return gradientBuffer }
        let g = Tensor(shape: [values.count])
        for (p, o) in entries { p.bind(gradient: g.data + o) }
        gradientBuffer = g
        return g
    }
    /// (parameter, offset into the flat buffers), in order.
    public let entries: [(parameter: Parameter, offset: Int)]

    public init(_ parameters: [Parameter]) {
        var offset = 0
        var entries: [(Parameter, Int)] = []
        for p in parameters {
            entries.append((p, offset))
            offset += p.count
        }
        values = Tensor(shape: [offset])
        for (p, o) in entries { p.bind(value: values.data + o) }
        self.entries = entries
    }

    public var count: Int { values.count }
}
