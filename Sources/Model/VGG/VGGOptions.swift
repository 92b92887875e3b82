/// Everything that defines a VGG network beyond its configuration: class count, input,
/// BatchNorm, classifier width, a width divisor for small quick variants, dropout.
public struct VGGOptions: Codable, Equatable, Sendable {
    public var configuration: VGGConfiguration
    public var batchNorm: Bool
    public var classes: Int
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    /// Width of the two hidden fully connected layers (paper: 4096).
    public var classifierWidth: Int
    /// Every convolution's channel count is divided by this (1 = the paper's widths).
    public var widthDivisor: Int
    public var dropout: Float
    /// When set, an adaptive average pool to this size precedes the classifier (torchvision's
    /// `avgpool`, 7); otherwise the classifier takes the final feature map as it is.
    public var adaptivePool: Int?

    public init(configuration: VGGConfiguration = .A, batchNorm: Bool = false, classes: Int = 1000,
                inputChannels: Int = 3, inputHeight: Int = 224, inputWidth: Int = 224,
                classifierWidth: Int = 4096, widthDivisor: Int = 1, dropout: Float = 0.5, adaptivePool: Int? = nil) {
        self.configuration = configuration; self.batchNorm = batchNorm; self.classes = classes
        self.inputChannels = inputChannels; self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.classifierWidth = classifierWidth; self.widthDivisor = widthDivisor; self.dropout = dropout
        self.adaptivePool = adaptivePool
    }

    /// The number of output channels of the last convolution.
    public var finalChannels: Int {
        var last = inputChannels
        for case let .conv(c, _) in configuration.stack { last = max(1, c / widthDivisor) }
        return last
    }

    /// A one-line description, e.g. `VGG-A (11 layers), 1×32×32 → 10 classes, classifier 4096`.
    public var summaryLine: String {
        "VGG-\(configuration.rawValue)\(batchNorm ? "-BN" : "") (\(configuration.depth) weight layers), input \(inputChannels)x\(inputHeight)x\(inputWidth), \(classes) classes, classifier \(classifierWidth)" + (widthDivisor > 1 ? ", widths /\(widthDivisor)" : "")
    }
}
