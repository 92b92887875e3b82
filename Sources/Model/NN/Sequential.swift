import Tensors

/// Layers applied in order on one backend, planned once per input shape.
///
/// Takes an NCHW (or NHWC) input batch, keeps activations channels-last inside, and holds
/// all parameters in one flat `ParameterStore` (and the running statistics in another).
/// Layers before the first one with parameters, and that first one itself, compute no
/// input gradient (Caffe's `propagate_down`).
public final class Sequential {
    /// (name, layer): names follow torchvision (`features.0`, `classifier.3`, ...).
    public let layers: [(name: String, layer: Layer)]
    public let backend: any Backend
    /// Every learnable parameter, in layer order.
    public let store: ParameterStore
    /// Every buffer (running statistics), in layer order.
    public let bufferStore: ParameterStore
    public private(set) var preparedShape: [Int]?
    /// Whether the current plan has gradient buffers (a plan for inference only has none).
    public private(set) var preparedForTraining = false
    /// Told before and after every layer's pass, in order (timing, gradient synchronisation).
    public var observers: [any LayerObserver] = []
    private var inputBuffer: Tensor?
    /// Layers before this index are frozen (`freeze(through:)`): they compute no gradient.
    public private(set) var firstTrainableLayer = 0
    /// The two input-gradient buffers lent to the layers (`InputGradientWriter`).
    private var gradientBuffers: [Storage?] = []
    /// The two activation buffers lent to the layers of an inference-only plan (`OutputWriter`).
    private var outputBuffers: [Storage?] = []

    /// Places the layers' parameters and buffers on `backend` (keeping values they already have).
    public init(_ layers: [(name: String, layer: Layer)], on backend: any Backend) {
        self.layers = layers
        self.backend = backend
        store = ParameterStore(layers.flatMap { $0.layer.parameters }, on: backend)
        bufferStore = ParameterStore(layers.flatMap { $0.layer.buffers }, on: backend)
    }

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
    public func shapes(for input: [Int]) throws -> [[Int]] { try Self.shapes(of: layers, for: input) }

    /// Output shapes of every layer of `layers` for an input shape, or the first layer that cannot take it.
    public static func shapes(of layers: [(name: String, layer: Layer)], for input: [Int]) throws -> [[Int]] {
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

    /// Plans every layer for this input shape `[N, C, H, W]`; with `training` false, no
    /// gradient buffers are allocated (inference only).
    public func prepare(inputShape: [Int], training: Bool = true) throws {
        if preparedShape == inputShape && (preparedForTraining || !training) { return }
        _ = try shapes(for: inputShape)
        if training { _ = store.gradients }
        lendInputGradientBuffers(inputShape: inputShape, training: training)
        lendOutputBuffers(inputShape: inputShape, training: training)
        var s = inputShape
        var needGradient = false
        for (index, (name, layer)) in layers.enumerated() {
            do {
                try layer.prepare(inputShape: s, propagateDown: needGradient && training, on: backend)
            } catch let e as BackendError {
                throw ShapeError("\(name) (\(layer.kind)): \(e)")
            }
            if !layer.parameters.isEmpty && training && index >= firstTrainableLayer { needGradient = true }
            s = try layer.outputShape(for: s)
        }
        preparedShape = inputShape
        preparedForTraining = training
    }

    /// Gives the layers that write an input gradient (`InputGradientWriter`) one of two
    /// shared buffers each, alternating backwards from the last layer so that every such
    /// layer writes into the buffer its output gradient is not in (layers in between that
    /// pass the gradient through in place keep it where it is). Each buffer has the size of
    /// the largest gradient given to it.
    private func lendInputGradientBuffers(inputShape: [Int], training: Bool) {
        for case let writer as InputGradientWriter in layers.map(\.layer) { writer.lentInputGradient = nil }
        gradientBuffers = []
        guard training, let shapes = try? shapes(for: inputShape) else { return }
        // Which layers compute an input gradient (as in `prepare`), and the input shape of each.
        var propagates = [Bool](), inputs = [[Int]]()
        var needGradient = false
        for (i, (_, layer)) in layers.enumerated() {
            propagates.append(needGradient)
            inputs.append(i == 0 ? inputShape : shapes[i - 1])
            if !layer.parameters.isEmpty && i >= firstTrainableLayer { needGradient = true }
        }
        var slot = [Int?](repeating: nil, count: layers.count)
        var sizes = [0, 0]
        var current = -1   // the buffer holding the gradient flowing backwards (-1: the loss's own)
        for i in layers.indices.reversed() where propagates[i] {
            guard let writer = layers[i].layer as? InputGradientWriter, writer.writesInputGradient(inputShape: inputs[i]) else { continue }
            let s = current == 0 ? 1 : 0
            slot[i] = s
            sizes[s] = max(sizes[s], inputs[i].reduce(1, *))
            current = s
        }
        gradientBuffers = sizes.map { $0 > 0 ? Storage?.some(backend.memory.allocate(count: $0)) : nil }
        for (i, (_, layer)) in layers.enumerated() {
            if let s = slot[i], let writer = layer as? InputGradientWriter { writer.lentInputGradient = gradientBuffers[s] }
        }
    }

    /// For a plan for inference only, gives the layers that write an output (`OutputWriter`)
    /// one of two shared buffers each, alternating forwards from the first layer so that no
    /// layer writes where its input lies (layers in between that work in place or hand their
    /// input on keep it where it is). Training plans lend nothing: the backward pass reads
    /// every layer's output.
    private func lendOutputBuffers(inputShape: [Int], training: Bool) {
        for case let writer as OutputWriter in layers.map(\.layer) { writer.lentOutput = nil }
        outputBuffers = []
        guard !training, let shapes = try? shapes(for: inputShape) else { return }
        var slot = [Int?](repeating: nil, count: layers.count)
        var sizes = [0, 0]
        var current = -1   // the buffer holding the activation flowing forwards (-1: the input's own)
        for (i, (_, layer)) in layers.enumerated() {
            let input = i == 0 ? inputShape : shapes[i - 1]
            guard let writer = layer as? OutputWriter, writer.writesOutput(inputShape: input) else { continue }
            let s = current == 0 ? 1 : 0
            slot[i] = s
            sizes[s] = max(sizes[s], shapes[i].reduce(1, *))
            current = s
        }
        outputBuffers = sizes.map { $0 > 0 ? Storage?.some(backend.memory.allocate(count: $0)) : nil }
        for (i, (_, layer)) in layers.enumerated() {
            if let s = slot[i], let writer = layer as? OutputWriter { writer.lentOutput = outputBuffers[s] }
        }
    }

    /// Runs the network on `x` (`[N, C, H, W]`, either layout, in the backend's memory or
    /// the host's); prepares on a new shape. `inspect`, for diagnostics, is handed each
    /// layer's output (by layer index) as soon as the layer has run.
    public func forward(_ x: Tensor, _ context: PassContext = .inference,
                        inspect: ((_ layer: Int, _ output: Tensor) -> Void)? = nil) throws -> Tensor {
        let training = context.mode == .training
        if preparedShape != x.shape || (training && !preparedForTraining) {
            try prepare(inputShape: x.shape, training: training)
        }
        var h = channelsLast(x)
        for (i, (_, layer)) in layers.enumerated() {
            for o in observers { o.willRun(layer: i, pass: .forward) }
            h = layer.forward(h, context)
            for o in observers { o.didRun(layer: i, pass: .forward) }
            inspect?(i, h)
        }
        return h
    }

    /// Runs the layers `0...last` on `x` and returns the output of layer `last` (a feature
    /// extractor's activations). In an inference-only plan later layers would overwrite
    /// that output in the shared activation buffers (`OutputWriter`); stopping here keeps it
    /// intact until the next pass, so read it (`toArray`) before running the network again.
    public func forward(_ x: Tensor, upTo last: Int, _ context: PassContext = .inference) throws -> Tensor {
        precondition(layers.indices.contains(last), "layer \(last) out of range 0..<\(layers.count)")
        let training = context.mode == .training
        if preparedShape != x.shape || (training && !preparedForTraining) {
            try prepare(inputShape: x.shape, training: training)
        }
        var h = channelsLast(x)
        for (i, (_, layer)) in layers.enumerated() where i <= last {
            for o in observers { o.willRun(layer: i, pass: .forward) }
            h = layer.forward(h, context)
            for o in observers { o.didRun(layer: i, pass: .forward) }
        }
        return h
    }

    /// The index of the layer called `name` (`features.30`, `classifier.4`), or nil.
    public func index(ofLayer name: String) -> Int? { layers.firstIndex { $0.name == name } }

    /// The input as the first layer wants it: NHWC in the backend's memory.
    private func channelsLast(_ x: Tensor) -> Tensor {
        let direct = x.memory === backend.memory
        guard x.shape.count == 4 else { return direct ? x : copy(x) }
        if direct && (x.layout == .nhwc || x.shape[1] == 1) { return x.reshaped(x.shape, layout: .nhwc) }
        let buffer = Tensor.reusing(inputBuffer, shape: x.shape, layout: .nhwc, on: backend)
        inputBuffer = buffer
        backend.permute(direct ? x : copy(x), into: buffer)
        return buffer
    }

    private func copy(_ x: Tensor) -> Tensor {
        let t = Tensor(shape: x.shape, layout: x.layout, on: backend)
        t.copy(from: x)
        return t
    }

    /// Freezes the layers `0...index` (for fine-tuning): their parameters are no longer updated
    /// (learning-rate and weight-decay multipliers 0) and the backward pass stops at the first
    /// trainable layer with parameters, which computes no input gradient, so the frozen layers
    /// cost no backward work at all. BatchNorm layers among them keep updating their running
    /// statistics in training passes, as PyTorch's do when only `requires_grad` is turned off.
    public func freeze(through index: Int) {
        precondition(index >= -1 && index < layers.count, "no layer \(index) to freeze through")
        firstTrainableLayer = index + 1
        for (i, (_, layer)) in layers.enumerated() {
            for p in layer.parameters where i <= index {
                p.learningRateMultiplier = 0
                p.weightDecayMultiplier = 0
            }
        }
        preparedShape = nil
    }

    /// Back-propagates the gradient of the loss with respect to the output.
    public func backward(_ dy: Tensor) {
        precondition(preparedForTraining, "backward through a network planned for inference only")
        var g: Tensor? = dy
        for (i, (_, layer)) in layers.enumerated().reversed() {
            guard let gg = g else { break }
            for o in observers { o.willRun(layer: i, pass: .backward) }
            g = layer.backward(gg)
            for o in observers { o.didRun(layer: i, pass: .backward) }
        }
    }

    /// The BatchNorm layers, in order.
    public var batchNormLayers: [BatchNorm2d] { layers.compactMap { $0.layer as? BatchNorm2d } }
}
