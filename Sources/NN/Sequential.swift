import Kernels

/// Layers applied in order, planned once per input shape.
///
/// Takes an NCHW (or NHWC) input batch, keeps activations channels-last inside, and
/// gathers all parameters into one `ParameterStore`. Layers before the first one with
/// parameters, and that first one itself, compute no input gradient (Caffe's `propagate_down`).
public final class Sequential {
    /// (name, layer): names follow torchvision (`features.0`, `classifier.3`, ...).
    public private(set) var layers: [(name: String, layer: Layer)]
    public private(set) var store: ParameterStore?
    public private(set) var preparedShape: [Int]?
    /// Whether the current plan has gradient buffers (a plan for inference only has none).
    public private(set) var preparedForTraining = false
    private let inputBuffer = Tensor(shape: [0])

    public init(_ layers: [(name: String, layer: Layer)]) { self.layers = layers }

    /// All learnable parameters with qualified names, e.g. `features.0.weight`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        layers.flatMap { l in l.layer.parameters.map { ("\(l.name).\($0.name)", $0) } }
    }

    /// All buffers (running statistics) with qualified names.
    public var namedBuffers: [(name: String, parameter: Parameter)] {
        layers.flatMap { l in l.layer.buffers.map { ("\(l.name).\($0.name)", $0) } }
    }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.layer.parameterCount } }

    /// Output shapes of every layer for an input shape, or the first layer that cannot take it.
    public func shapes(for input: [Int]) throws -> [[Int]] {
        var s = input
        var out: [[Int]] = []
        for (name, layer) in layers {
            do { s = try layer.outputShape(for: s) } catch let e as ShapeError {
                throw ShapeError("\(name) (\(layer.kind)), input \(s.dropFirst().map(String.init).joined(separator: "×")): \(e.message)")
            }
            out.append(s)
        }
        return out
    }

    /// Gathers parameters into flat buffers (keeping current values). Idempotent.
    @discardableResult
    public func materializeParameters() -> ParameterStore {
        if let store { return store }
        let s = ParameterStore(namedParameters.map(\.parameter))
        store = s
        return s
    }

    /// Plans every layer for this input shape `[N, C, H, W]`; with `training` false, no
    /// gradient buffers are allocated (inference only).
    public func prepare(inputShape: [Int], training: Bool = true) throws {
        if preparedShape == inputShape && (preparedForTraining || !training) { return }
        _ = try shapes(for: inputShape)
        let store = materializeParameters()
        if training { _ = store.gradients }
        var s = inputShape
        var needGradient = false
        for (name, layer) in layers {
            do {
                try layer.prepare(inputShape: s, propagateDown: needGradient && training)
            } catch let e as KernelError {
                throw ShapeError("\(name) (\(layer.kind)): \(e)")
            }
            if !layer.parameters.isEmpty && training { needGradient = true }
            s = try layer.outputShape(for: s)
        }
        inputBuffer.resize(inputShape, layout: .nhwc)
        preparedShape = inputShape
        preparedForTraining = training
    }

    /// Runs the network; `x` is `[N, C, H, W]` in either layout. Prepares on a new shape.
    public func forward(_ x: Tensor, mode: Mode) throws -> Tensor {
        if preparedShape != x.shape || (mode == .training && !preparedForTraining) {
            try prepare(inputShape: x.shape, training: mode == .training)
        }
        var h: Tensor
        if x.shape.count == 4 && x.layout == .nchw && x.shape[1] != 1 {
            Tensor.permute(nchw: x.data, toNHWC: inputBuffer.data, shape: x.shape)
            h = inputBuffer
        } else {
            inputBuffer.copy(from: x)
            h = inputBuffer
        }
        for (_, layer) in layers { h = layer.forward(h, mode: mode) }
        return h
    }

    /// Back-propagates the gradient of the loss with respect to the output.
    public func backward(_ dy: Tensor) {
        precondition(preparedForTraining, "backward through a network planned for inference only")
        var g: Tensor? = dy
        for (_, layer) in layers.reversed() {
            guard let gg = g else { break }
            g = layer.backward(gg)
        }
    }

    /// All dropout layers (for saving and restoring their random state).
    public var dropoutLayers: [Dropout] { layers.compactMap { $0.layer as? Dropout } }
}
