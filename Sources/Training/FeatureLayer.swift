import NN

/// The layer whose activations serve as image features (`vgg features --layer`).
///
/// Aliases: `fc6` and `fc7` are the outputs of the first and second fully connected layers
/// *after their ReLU* (`classifier.1` and `classifier.4`: the 4096-D descriptors of the
/// paper's transfer experiments, Appendix B); `pool5` is the last max pooling of the
/// convolutional part. Any other torchvision layer name (`features.20`, `classifier.3` for
/// fc7 before its ReLU) names that layer's output.
public struct FeatureLayer: Equatable, Sendable {
    /// The name asked for (`fc7`, `features.20`).
    public let requested: String
    /// The torchvision name of the layer whose output is taken.
    public let name: String
    /// Its index in the network's layers.
    public let index: Int

    /// Resolves `requested` in `network` (a VGG built by `VGGBuilder`).
    public init(_ requested: String, in network: Sequential) throws {
        self.requested = requested
        let layers = network.layers
        func afterReLU(_ i: Int) -> Int { i + 1 < layers.count && layers[i + 1].layer is ReLU ? i + 1 : i }
        let linear = layers.indices.filter { layers[$0].layer is Linear }
        let found: Int?
        switch requested {
        case "fc6": found = linear.count >= 2 ? afterReLU(linear[0]) : nil
        case "fc7": found = linear.count >= 3 ? afterReLU(linear[1]) : nil
        case "pool5": found = layers.indices.last { layers[$0].layer is MaxPool2d && layers[$0].name.hasPrefix("features") }
        default: found = network.index(ofLayer: requested)
        }
        guard let found else {
            throw FeatureError("no layer '\(requested)': fc6, fc7, pool5 or one of \(layers.map(\.name).joined(separator: ", "))")
        }
        index = found
        name = layers[found].name
    }

    /// The same layer in `DenseNetwork`'s version of the network, where the fully connected
    /// layers are convolutions named `dense.K` for `classifier.K`; nil for the layers that
    /// have no counterpart there (avgpool, flatten, dropout).
    public func denseIndex(in dense: Sequential) -> Int? {
        let mapped = name.hasPrefix("classifier.") ? "dense." + name.dropFirst("classifier.".count) : name
        return dense.index(ofLayer: mapped)
    }
}
