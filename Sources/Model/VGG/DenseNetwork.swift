import NN
import Tensors

/// §3.2's dense evaluation: the fully connected layers become convolutions (the first a
/// k×k convolution over the last feature map, k = 7 at 224 px; the other two 1×1), so the
/// network runs over a whole uncropped image of any size ≥ the training crop and yields a
/// class score map, which is averaged over space.
public enum DenseNetwork {
    /// A new network on `network`'s backend sharing no buffers with it (weights copied),
    /// ending in the spatially averaged class scores `[N, classes]`.
    public static func make(from network: Sequential, options o: VGGOptions) throws -> Sequential {
        var layers: [(String, Layer)] = []
        var convs: [Linear] = []
        var copies: [(Parameter, Parameter)] = []  // (new, original), copied once the new network has memory
        for (name, layer) in network.layers {
            switch layer {
            case let c as Conv2d:
                let d = Conv2d(c.inChannels, c.outChannels, kernelSize: c.kernelSize, stride: c.stride, padding: c.padding)
                copies += [(d.weight, c.weight), (d.bias, c.bias)]
                layers.append((name, d))
            case let b as BatchNorm2d:
                let d = BatchNorm2d(b.channels, epsilon: b.epsilon, momentum: b.momentum)
                copies += Array(zip(d.parameters + d.buffers, b.parameters + b.buffers))
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
            copies += [(conv.weight, fc.weight), (conv.bias, fc.bias)]
            return conv
        }
        layers.append(("dense.0", asConv(convs[0], inChannels: c, kernel: k)))
        layers.append(("dense.1", ReLU()))
        layers.append(("dense.3", asConv(convs[1], inChannels: convs[1].inFeatures, kernel: 1)))
        layers.append(("dense.4", ReLU()))
        layers.append(("dense.6", asConv(convs[2], inChannels: convs[2].inFeatures, kernel: 1)))
        layers.append(("dense.average", SpatialAverage()))
        let dense = Sequential(layers, on: network.backend)
        for (dst, src) in copies { dst.value.copy(from: src.value) }
        return dense
    }
}
