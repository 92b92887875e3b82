import NN
import Tensors
import SafeTensorsFormat

/// A VGG network's weights as torchvision's `state_dict`: the same names (`features.N.weight`,
/// `features.N.running_mean`, `features.N.num_batches_tracked`, `classifier.N.bias`, ...), the
/// same shapes (conv `[out, in, kh, kw]`, linear `[out, in]`) and row-major values, so that
/// `torchvision.models.vgg11()` (or `vgg11_bn()`, ...) loads a file written from it with
/// `load_state_dict(..., strict=True)`, and weights saved from torchvision load here.
///
/// torchvision's `avgpool` and the ReLU/Dropout/MaxPool layers have no state, so only the
/// conv, BatchNorm and linear layers appear; `num_batches_tracked` is an I64 scalar (shape []).
public enum TorchvisionStateDict {
    /// One entry of the state_dict: name, tensor and the dtype torchvision stores it as.
    public typealias Entry = (name: String, tensor: SafeTensor, dtype: SafeTensors.DType)

    /// Every tensor of the state_dict, in network order (parameters and running statistics as
    /// F32, each BatchNorm's `num_batches_tracked` as I64), ready for `SafeTensors.write`.
    public static func entries(of network: Sequential) -> [Entry] {
        var out: [Entry] = []
        for (layerName, layer) in network.layers {
            for p in layer.parameters + layer.buffers {
                out.append(("\(layerName).\(p.name)", SafeTensor(shape: p.shape, values: p.value.toArray()), .f32))
            }
            if let bn = layer as? BatchNorm2d {
                out.append(("\(layerName).num_batches_tracked", SafeTensor(shape: [], values: [Float(bn.batchesTracked)]), .i64))
            }
        }
        return out
    }

    /// The names and shapes `network` needs, in network order.
    public static func expectedShapes(of network: Sequential) -> [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        for (layerName, layer) in network.layers {
            for p in layer.parameters + layer.buffers { out.append(("\(layerName).\(p.name)", p.shape)) }
            if layer is BatchNorm2d { out.append(("\(layerName).num_batches_tracked", [])) }
        }
        return out
    }

    /// Copies a state_dict into `network` after checking all of it: every missing, unexpected
    /// and mis-shaped key is named in one `TorchvisionWeightsError` (nothing is copied then).
    /// Like PyTorch, a missing `num_batches_tracked` (files saved before torch 0.4.1) counts as 0;
    /// a one-element `[1]` tensor is accepted for it as well as a scalar.
    public static func load(_ tensors: [String: SafeTensor], into network: Sequential, path: String) throws {
        try check(tensors, against: network, path: path)
        let parameters = Dictionary(uniqueKeysWithValues: (network.namedParameters + network.namedBuffers).map { ($0.name, $0.parameter) })
        for (name, p) in parameters {
            p.value.copy(from: tensors[name]!.values)
        }
        for (layerName, layer) in network.layers {
            guard let bn = layer as? BatchNorm2d else { continue }
            bn.batchesTracked = tensors["\(layerName).num_batches_tracked"].flatMap { batchCount($0.values[0]) } ?? 0
        }
    }

    /// Throws a `TorchvisionWeightsError` listing every key of `tensors` that does not fit `network`.
    public static func check(_ tensors: [String: SafeTensor], against network: Sequential, path: String) throws {
        let expected = expectedShapes(of: network)
        let expectedNames = Set(expected.map(\.name))
        var missing: [String] = []
        var misshaped: [TorchvisionWeightsError.Misshaped] = []
        var invalid: [String] = []
        for (name, shape) in expected {
            guard let t = tensors[name] else {
                if !name.hasSuffix(".num_batches_tracked") { missing.append(name) }
                continue
            }
            let counter = name.hasSuffix(".num_batches_tracked")
            let fits = t.shape == shape || (counter && t.values.count == 1)
            if !fits { misshaped.append(.init(name: name, found: t.shape, expected: shape)) }
            if counter, fits, batchCount(t.values[0]) == nil { invalid.append("\(name) is \(t.values[0]), not a count") }
        }
        let unexpected = tensors.keys.filter { !expectedNames.contains($0) }.sorted(by: naturalOrder)
        guard missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty && invalid.isEmpty else {
            var hints: [String] = []
            let hasBN = tensors.keys.contains { $0.hasSuffix(".running_mean") }
            let wantsBN = expected.contains { $0.name.hasSuffix(".running_mean") }
            if hasBN && !wantsBN { hints.append("the weights have BatchNorm layers (a vgg*_bn model): add --batch-norm") }
            if !hasBN && wantsBN { hints.append("the weights have no BatchNorm layers: drop --batch-norm") }
            var error = TorchvisionWeightsError(path: path, missing: missing, unexpected: unexpected, misshaped: misshaped, hints: hints)
            error.invalid = invalid
            throw error
        }
    }

    /// A stored BatchNorm batch count as an Int: nil unless a whole number in 0..<2^53
    /// (a float holds every integer up to there; NaN, infinities and fractions are no counts).
    public static func batchCount(_ value: Float) -> Int? {
        guard value >= 0, value < 0x1p53, value.rounded(.towardZero) == value else { return nil }
        return Int(value)
    }

    /// Options for `configuration` whose free sizes are read off the weights: input channels
    /// (`features.0.weight`), the width divisor (64 / its output channels), the classifier width
    /// (`classifier.0.weight` rows), the classes (`classifier.6.weight` rows) and whether
    /// torchvision's `avgpool` (7×7) precedes the classifier (it does unless `classifier.0`
    /// takes exactly the final feature map of `input` unpooled). Sizes the weights do not
    /// give keep torchvision's defaults; `load` then reports whatever still does not fit.
    public static func options(configuration: VGGConfiguration, batchNorm: Bool, input: [Int], matching tensors: [String: SafeTensor]) -> VGGOptions {
        var o = VGGOptions(configuration: configuration, batchNorm: batchNorm, classes: 1000,
                           inputChannels: input[0], inputHeight: input[1], inputWidth: input[2], adaptivePool: 7)
        if let w = tensors["features.0.weight"], w.shape.count == 4, w.shape[0] > 0, 64 % w.shape[0] == 0 {
            o.widthDivisor = 64 / w.shape[0]
        }
        if let w = tensors["classifier.0.weight"], w.shape.count == 2 {
            o.classifierWidth = w.shape[0]
            var h = o.inputHeight, wd = o.inputWidth
            for case .maxPool in configuration.stack { h /= 2; wd /= 2 }
            if w.shape[1] != o.finalChannels * 49 && w.shape[1] == o.finalChannels * h * wd { o.adaptivePool = nil }
        }
        if let w = tensors["classifier.6.weight"], w.shape.count == 2 { o.classes = w.shape[0] }
        return o
    }

    /// Network order for names: `features` before `avgpool` before `classifier` before anything
    /// else, and `features.2.x` before `features.10.x` (numbers compared as numbers).
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        let pa = a.split(separator: "."), pb = b.split(separator: ".")
        func rank(_ s: Substring?) -> Int { ["features": 0, "avgpool": 1, "classifier": 2][s.map(String.init) ?? ""] ?? 3 }
        if rank(pa.first) != rank(pb.first) { return rank(pa.first) < rank(pb.first) }
        for (x, y) in zip(pa, pb) where x != y {
            if let i = Int(x), let j = Int(y) { return i < j }
            return x < y
        }
        return pa.count < pb.count
    }
}

