import Tensors

/// A learnable tensor of a layer (or a non-learnable buffer such as a running mean), with
/// its gradient, both in a backend's memory.
///
/// A parameter has no memory until its network is placed on a backend: then its value
/// and gradient become views into the network's flat buffers (`ParameterStore`), so that
/// one all-reduce or one optimizer update covers the whole model.
public final class Parameter {
    /// Local name inside its layer, e.g. `weight`, `bias`, `running_mean`.
    public let name: String
    public let shape: [Int]
    /// False for buffers (running statistics), which the optimizer never touches.
    public let isTrainable: Bool
    /// The value every element starts with (BatchNorm's scale and running variance: 1).
    public let initialValue: Float
    /// Learning-rate multiplier (Caffe's `lr_mult`).
    public var learningRateMultiplier: Float = 1
    /// Weight-decay multiplier (Caffe's `decay_mult`).
    public var weightDecayMultiplier: Float = 1

    private var valueStorage: Tensor?
    private var gradientStorage: Tensor?
    private var backend: (any Backend)?

    public init(_ name: String, shape: [Int], trainable: Bool = true, initialValue: Float = 0) {
        self.name = name
        self.shape = shape
        self.isTrainable = trainable
        self.initialValue = initialValue
    }

    public var count: Int { shape.reduce(1, *) }
    /// Whether the parameter has memory (its network is placed on a backend).
    public var isBound: Bool { valueStorage != nil }

    /// The value.
    public var value: Tensor {
        guard let valueStorage else { preconditionFailure("parameter \(name) has no memory yet: place its network on a backend first") }
        return valueStorage
    }

    /// The gradient (allocated on first use when the parameter stands alone; overwritten by
    /// each backward pass).
    public var gradient: Tensor {
        if let gradientStorage { return gradientStorage }
        guard let backend else { preconditionFailure("parameter \(name) has no memory yet: place its network on a backend first") }
        let g = Tensor(shape: shape, on: backend)
        gradientStorage = g
        return g
    }

    /// Its own memory on `backend`, set to the initial value.
    func materialize(on backend: any Backend) {
        let v = Tensor(shape: shape, on: backend)
        if initialValue != 0 { v.fill(initialValue) }
        valueStorage = v
        self.backend = backend
    }

    /// Re-points the value at `view` (a slice of a flat buffer), keeping the current value
    /// or, for a parameter without one, setting the initial value.
    func bind(value view: Tensor, backend: any Backend) {
        if let valueStorage { view.copy(from: valueStorage) } else if initialValue != 0 { view.fill(initialValue) }
        valueStorage = view
        self.backend = backend
    }

    /// Re-points the gradient at `view`, keeping a gradient already written.
    func bind(gradient view: Tensor) {
        if let gradientStorage { view.copy(from: gradientStorage) }
        gradientStorage = view
    }
}
