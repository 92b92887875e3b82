import NN

/// A layer of a VGG network named as people name them: torchvision's `features.20` or
/// `classifier.3`, the paper's and Caffe's `conv4_3` (block 4, its third convolution; blocks
/// end at the max pools) or `fc6`/`fc7`/`fc8`, or `features` for the whole convolutional part
/// (its last layer).
public enum LayerReference {
    /// The index in `network.layers` of the layer `name` refers to.
    public static func index(of name: String, in network: Sequential) throws -> Int {
        let layers = network.layers
        if let i = layers.firstIndex(where: { $0.name == name }) { return i }
        if name == "features", let i = layers.lastIndex(where: { $0.name.hasPrefix("features.") }) { return i }
        if name.hasPrefix("conv"), let parts = Optional(name.dropFirst(4).split(separator: "_")), parts.count == 2,
           let block = Int(parts[0]), let conv = Int(parts[1]) {
            var b = 1, c = 0
            for (i, l) in layers.enumerated() where l.name.hasPrefix("features.") {
                if l.layer is MaxPool2d { b += 1; c = 0; continue }
                if l.layer is Conv2d {
                    c += 1
                    if b == block && c == conv { return i }
                }
            }
        }
        if name.hasPrefix("fc"), let k = Int(name.dropFirst(2)), k >= 6 {
            let linear = layers.indices.filter { layers[$0].layer is Linear }
            if k - 6 < linear.count { return linear[k - 6] }
        }
        let known = layers.map(\.name).filter { !$0.isEmpty }
        throw ShapeError("no layer '\(name)' in this network: use features, convB_M (e.g. conv4_3), fc6–fc8, or one of \(known.first ?? "")…\(known.last ?? "")")
    }
}
