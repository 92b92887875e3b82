import Tensors

/// Two contiguous buffers in a backend's memory holding every parameter value and gradient
/// of a network, in layer order (the layout one all-reduce of the gradients and one fused
/// optimizer update need).
public final class ParameterStore {
    public let backend: any Backend
    public let values: Tensor
    private var gradientBuffer: Tensor?
    /// (parameter, offset into the flat buffers), in order.
    public let entries: [(parameter: Parameter, offset: Int)]

    /// Places the parameters in flat buffers on `backend`, keeping values they already have.
    public init(_ parameters: [Parameter], on backend: any Backend) {
        self.backend = backend
        var offset = 0
        var entries: [(Parameter, Int)] = []
        for p in parameters {
            entries.append((p, offset))
            offset += p.count
        }
        values = Tensor(shape: [offset], on: backend)
        for (p, o) in entries { p.bind(value: values.view(offset: o, shape: p.shape), backend: backend) }
        self.entries = entries
    }

    /// The flat gradient buffer, allocated on first use (inference-only networks never need it).
    public var gradients: Tensor {
        if let gradientBuffer { return gradientBuffer }
        let g = Tensor(shape: [values.count], on: backend)
        for (p, o) in entries { p.bind(gradient: g.view(offset: o, shape: p.shape)) }
        gradientBuffer = g
        return g
    }

    public var count: Int { values.count }
}
