import ArgumentParser
import NN
import Training
import VGG

/// Options that define a network: configuration, BatchNorm, classes, input size, widths.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration of Table 1: A, A-LRN, B, C, D, E (or vgg11, vgg13, vgg16, vgg19). Default: A (vgg train --finetune: the source's).")
    var arch: String?
    @Flag(help: "BatchNorm after every convolution.")
    var batchNorm = false
    @Option(help: "Number of classes (vgg train: from the data).")
    var classes: Int?
    @Option(help: "Input size CxHxW, e.g. 3x224x224 or 1x32x32 (vgg train: from the data).")
    var input: String?
    @Option(help: "Width of the two hidden fully connected layers.")
    var classifierWidth: Int = defaults.classifierWidth
    @Option(name: .customLong("width"), help: "Divide every convolution's channel count by this (1 = the paper's).")
    var widthDivisor: Int = defaults.widthDivisor
    @Option(help: "Adaptive average pool to SxS before the classifier (torchvision: 7).")
    var adaptivePool: Int?
    @Option(help: "Dropout probability of the first two fully connected layers.")
    var dropout: Float = defaults.dropout

    /// The defaults of `VGGOptions` (the only place they are written).
    private static let defaults = VGGOptions()

    func validate() throws {
        if let arch, VGGConfiguration(name: arch) == nil {
            throw ValidationError("unknown configuration '\(arch)': use one of A, A-LRN, B, C, D, E")
        }
        guard widthDivisor >= 1, classifierWidth >= 1 else { throw ValidationError("--width and --classifier-width must be at least 1") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
        if let input { _ = try parsed { try CommandLineSyntax.inputShape(input) } }
    }

    /// The options given, the others taken from `base` (a fine-tuning source's network):
    /// architecture, BatchNorm, widths, dropout and pooling left at their defaults follow it.
    func options(base: VGGOptions, defaultInput: [Int]) throws -> VGGOptions {
        var o = try options(defaultClasses: base.classes, defaultInput: defaultInput)
        if arch == nil { o.configuration = base.configuration }
        if !batchNorm { o.batchNorm = base.batchNorm }
        if classifierWidth == Self.defaults.classifierWidth { o.classifierWidth = base.classifierWidth }
        if widthDivisor == Self.defaults.widthDivisor { o.widthDivisor = base.widthDivisor }
        if dropout == Self.defaults.dropout { o.dropout = base.dropout }
        if adaptivePool == nil { o.adaptivePool = base.adaptivePool }
        return o
    }

    func options(defaultClasses: Int = defaults.classes,
                 defaultInput: [Int] = [defaults.inputChannels, defaults.inputHeight, defaults.inputWidth]) throws -> VGGOptions {
        guard let config = VGGConfiguration(name: arch ?? "A") else {
            throw ValidationError("unknown configuration '\(arch ?? "A")': use one of A, A-LRN, B, C, D, E")
        }
        let shape = try input.map { s in try parsed { try CommandLineSyntax.inputShape(s) } } ?? defaultInput
        return VGGOptions(configuration: config, batchNorm: batchNorm, classes: classes ?? defaultClasses,
                          inputChannels: shape[0], inputHeight: shape[1], inputWidth: shape[2],
                          classifierWidth: classifierWidth, widthDivisor: widthDivisor, dropout: dropout, adaptivePool: adaptivePool)
    }
}
