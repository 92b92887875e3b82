import NN
import Tensors

/// Builds a VGG network from `VGGOptions`, with torchvision's layer names
/// (`features.N`, `avgpool`, `classifier.N`) so weights interchange with its state_dict.
public enum VGGBuilder {
    /// The network on `backend`, initialised by `initializer` from `seed` (nil: BatchNorm's
    /// ones and zeros, everything else zero, for weights loaded next). `seed` also keys the
    /// dropout masks.
    public static func build(_ o: VGGOptions, on backend: any Backend, initializer: Initializer? = .kaiming, seed: UInt64 = 0) throws -> Sequential {
        let net = Sequential(try layers(o, seed: seed), on: backend)
        initializer?.apply(to: net, seed: seed)
        return net
    }

    /// The layers with their names, not yet placed on a backend (no memory); `seed` keys the
    /// dropout masks.
    public static func layers(_ o: VGGOptions, seed: UInt64 = 0) throws -> [(name: String, layer: Layer)] {
        _ = try storedValueCount(o)   // every check, and no size below can overflow
        var layers: [(String, Layer)] = []
        var channels = o.inputChannels
        var h = o.inputHeight, w = o.inputWidth
        var index = 0
        func add(_ l: Layer) { layers.append(("features.\(index)", l)); index += 1 }
        for item in o.configuration.stack {
            switch item {
            case let .conv(c, k):
                let out = max(1, c / o.widthDivisor)
                add(Conv2d(channels, out, kernelSize: k, padding: k / 2))
                if o.batchNorm { add(BatchNorm2d(out)) }
                add(ReLU())
                channels = out
            case .lrn:
                add(LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2))
            case .maxPool:
                guard h >= 2, w >= 2 else {
                    throw ShapeError("input \(o.inputHeight)×\(o.inputWidth) is too small for VGG-\(o.configuration.rawValue)'s five 2×2 poolings (need at least 32×32)")
                }
                add(MaxPool2d(kernelSize: 2, stride: 2))
                h /= 2; w /= 2
            }
        }
        if let a = o.adaptivePool {
            layers.append(("avgpool", AdaptiveAvgPool2d(outHeight: a, outWidth: a)))
            h = a; w = a
        }
        layers.append(("flatten", Flatten()))
        let hidden = o.classifierWidth
        var stream: UInt64 = 0
        func dropout() -> Dropout { stream += 1; return Dropout(probability: o.dropout, seed: seed, stream: stream) }
        layers.append(("classifier.0", Linear(channels * h * w, hidden)))
        layers.append(("classifier.1", ReLU()))
        layers.append(("classifier.2", dropout()))
        layers.append(("classifier.3", Linear(hidden, hidden)))
        layers.append(("classifier.4", ReLU()))
        layers.append(("classifier.5", dropout()))
        layers.append(("classifier.6", Linear(hidden, o.classes)))
        return layers
    }

    /// How many values the network of `o` stores (weights, biases, BatchNorm scales, shifts and
    /// running statistics), from the options alone: no layer is made, nothing is allocated.
    /// Readers compare it with what a file holds before building a network its header describes.
    /// Throws a `ShapeError` for options no network can have (sizes below 1, a dropout
    /// probability outside [0, 1), an input too small for the poolings) or sizes whose
    /// products overflow.
    public static func storedValueCount(_ o: VGGOptions) throws -> Int {
        guard o.classes >= 1 else { throw ShapeError("the number of classes must be at least 1") }
        guard o.inputChannels >= 1, o.inputHeight >= 1, o.inputWidth >= 1 else { throw ShapeError("invalid input size") }
        guard o.widthDivisor >= 1, o.classifierWidth >= 1 else { throw ShapeError("width divisor and classifier width must be ≥ 1") }
        guard o.dropout >= 0 && o.dropout < 1 else { throw ShapeError("dropout probability \(o.dropout) is not in [0, 1)") }
        if let a = o.adaptivePool, a < 1 { throw ShapeError("adaptive pool size \(a) must be at least 1") }
        func product(_ factors: Int...) throws -> Int {
            try factors.reduce(1) { p, f in
                let (r, overflow) = p.multipliedReportingOverflow(by: f)
                guard !overflow else { throw ShapeError("\(o.summaryLine) is too large: its sizes overflow") }
                return r
            }
        }
        var total = 0
        func add(_ n: Int) throws {
            let (r, overflow) = total.addingReportingOverflow(n)
            guard !overflow else { throw ShapeError("\(o.summaryLine) is too large: its sizes overflow") }
            total = r
        }
        var channels = o.inputChannels, h = o.inputHeight, w = o.inputWidth
        for item in o.configuration.stack {
            switch item {
            case let .conv(c, k):
                let out = max(1, c / o.widthDivisor)
                try add(try product(out, channels, k, k)); try add(out)
                if o.batchNorm { try add(try product(4, out)) }
                channels = out
            case .lrn:
                break
            case .maxPool:
                guard h >= 2, w >= 2 else {
                    throw ShapeError("input \(o.inputHeight)×\(o.inputWidth) is too small for VGG-\(o.configuration.rawValue)'s five 2×2 poolings (need at least 32×32)")
                }
                h /= 2; w /= 2
            }
        }
        if let a = o.adaptivePool { h = a; w = a }
        let features = try product(channels, h, w), hidden = o.classifierWidth
        try add(try product(features, hidden)); try add(hidden)
        try add(try product(hidden, hidden)); try add(hidden)
        try add(try product(hidden, o.classes)); try add(o.classes)
        return total
    }
}
