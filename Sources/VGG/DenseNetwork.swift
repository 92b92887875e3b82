import Kernels
import NN

/// §3.2's dense evaluation: the fully connected layers become convolutions (the first a
/// k×k convolution over the last feature map, k = 7 at 224 px; the other two 1×1), so the
/// network runs over a whole uncropped image of any size ≥ the training crop and yields a
/// class score map, which is averaged over space.
public enum DenseNetwork {
    /// A new network sharing no buffers with `network` (weights copied), ending in the
    /// spatially averaged class scores `[N, classes]`.
    public static func make(from network: Sequential, options o: VGGOptions) throws -> Sequential {
        var layers: [(String, Layer)] = []
        var convs: [Linear] = []
        for (name, layer) in network.layers {
            switch layer {
            case let c as Conv2d:
                let d = Conv2d(c.inChannels, c.outChannels, kernelSize: c.kernelSize, stride: c.stride, padding: c.padding)
                d.weight.value.copy(from: c.weight.value); d.bias.value.copy(from: c.bias.value)
                layers.append((name, d))
            case let b as BatchNorm2d:
                let d = BatchNorm2d(b.channels, epsilon: b.epsilon, momentum: b.momentum)
                for (dst, src) in zip(d.parameters + d.buffers, b.parameters + b.buffers) { dst.value.copy(from: src.value) }
                layers.append((name, d))
            case is ReLU where name.hasPrefix("features"):
                layers.append((name, ReLU()))
            case let l as LocalResponseNorm:
                layers.append((name, LocalResponseNorm(size: l.size, alpha: l.alpha, beta: l.beta, k: l.k)))
            case let m as MaxPool2d:
                layers.append((name, MaxPool2d(kernelSize: m.kernelSize, stride: m.stride, padding: m.padding)))
            case let fc as Linear:
                convs.append(fc)
            default:
                break  // avgpool, flatten, classifier ReLU/dropout: replaced below
            }
        }
        guard convs.count == 3 else { throw ShapeError("dense evaluation needs the three fully connected layers of VGG") }
        // Spatial size the first FC layer saw at training time.
        let k: Int
        if let a = o.adaptivePool { k = a } else {
            var h = o.inputHeight, w = o.inputWidth
            for case .maxPool in o.configuration.stack { h /= 2; w /= 2 }
            guard h == w else { throw ShapeError("dense evaluation needs a square final feature map (got \(h)×\(w))") }
            k = h
        }
        let c = o.finalChannels
        guard convs[0].inFeatures == c * k * k else {
            throw ShapeError("first FC layer has \(convs[0].inFeatures) inputs, expected \(c)×\(k)×\(k)")
        }
        func asConv(_ fc: Linear, inChannels: Int, kernel: Int) -> Conv2d {
            let conv = Conv2d(inChannels, fc.outFeatures, kernelSize: kernel)
            // PyTorch flattens NCHW, so [out, c·k·k] is exactly OIHW.
            conv.weight.value.copy(from: fc.weight.value)
            conv.bias.value.copy(from: fc.bias.value)
            return conv
        }
        layers.append(("dense.0", asConv(convs[0], inChannels: c, kernel: k)))
        layers.append(("dense.1", ReLU()))
        layers.append(("dense.3", asConv(convs[1], inChannels: convs[1].inFeatures, kernel: 1)))
        layers.append(("dense.4", ReLU()))
        layers.append(("dense.6", asConv(convs[2], inChannels: convs[2].inFeatures, kernel: 1)))
        layers.append(("dense.average", SpatialAverage()))
        return Sequential(layers)
    }
}

/// Averages a `[N, C, H, W]` map over space into `[N, C]` (sum-pooling of the class score map).
public final class SpatialAverage: Layer {
    public var kind: String { "spatial-mean" }
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var shape: [Int] = []

    public init() {}

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 4 else { throw ShapeError("spatial average expects a rank-4 input, got \(input)") }
        return [input[0], input[1]]
    }

    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        output.resize(try outputShape(for: inputShape))
        inputGradient.resize(inputShape, layout: .nhwc)
        shape = inputShape
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let inv = 1 / Float(hw)
        for b in 0..<n {
            let d = output.data + b * c
            d.update(repeating: 0, count: c)
            for p in 0..<hw {
                let s = x.data + (b * hw + p) * c
                for ch in 0..<c { d[ch] += s[ch] }
            }
            for ch in 0..<c { d[ch] *= inv }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let inv = 1 / Float(hw)
        for b in 0..<n { for p in 0..<hw {
            let d = inputGradient.data + (b * hw + p) * c, g = dy.data + b * c
            for ch in 0..<c { d[ch] = g[ch] * inv }
        } }
        return inputGradient
    }
}
