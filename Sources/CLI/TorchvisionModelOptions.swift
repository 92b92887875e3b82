import ArgumentParser
import Tensors
import VGG
import SafeTensorsFormat

/// Options that name a torchvision-style VGG network whose weights come from a state_dict:
/// the configuration and BatchNorm are given; classes, widths and the 7×7 `avgpool` default
/// to what the weights hold, and are checked against them when given.
struct TorchvisionModelOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration of Table 1: A (vgg11), B (vgg13), D (vgg16), E (vgg19); also A-LRN and C.")
    var arch: String
    @Flag(help: "BatchNorm after every convolution (torchvision's vgg*_bn).")
    var batchNorm = false
    @Option(help: "Number of classes (default: the rows of classifier.6.weight).")
    var classes: Int?
    @Option(help: "Width of the hidden fully connected layers (default: from the weights; torchvision: 4096).")
    var classifierWidth: Int?
    @Option(name: .customLong("width"), help: "Divide every convolution's channel count by this (default: from features.0.weight; torchvision: 1).")
    var widthDivisor: Int?
    @Option(help: "Adaptive average pool size before the classifier, 0 for none (default: 7 as torchvision, unless the weights fit the unpooled feature map).")
    var adaptivePool: Int?

    /// The network for `input` (C, H, W) that these options and the weights describe.
    func options(input: [Int], weights: [String: SafeTensor]) throws -> VGGOptions {
        guard let config = VGGConfiguration(name: arch) else {
            throw ValidationError("unknown configuration '\(arch)': use one of A, A-LRN, B, C, D, E (or vgg11, vgg13, vgg16, vgg19)")
        }
        var o = TorchvisionStateDict.options(configuration: config, batchNorm: batchNorm, input: input, matching: weights)
        if let classes { o.classes = classes }
        if let classifierWidth { o.classifierWidth = classifierWidth }
        if let widthDivisor { o.widthDivisor = widthDivisor }
        if let adaptivePool {
            guard adaptivePool >= 0 else { throw ValidationError("--adaptive-pool must be ≥ 0") }
            o.adaptivePool = adaptivePool == 0 ? nil : adaptivePool
        }
        return o
    }
}
