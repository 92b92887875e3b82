import NN
import ReferenceBackend
import Tensors
import VGG

/// The small VGG networks the seeds hold weights of, on the reference backend (plain Swift,
/// instrumented like the readers): VGG-A with BatchNorm, one channel per convolution (widths
/// divided by 512), a classifier 4 wide.
enum TinyNetwork {
    static let backend = ReferenceBackend(threads: 1)

    static let options = VGGOptions(configuration: .A, batchNorm: true, classes: 3, inputChannels: 3, inputHeight: 32,
                                    inputWidth: 32, classifierWidth: 4, widthDivisor: 512, dropout: 0.5)

    /// One network, built once; readers copy weights into it (the values do not matter).
    static let network: Sequential = try! VGGBuilder.build(options, on: backend, initializer: nil)

    /// A freshly initialised network for the seeds.
    static func initialised(_ o: VGGOptions = options) throws -> Sequential {
        try VGGBuilder.build(o, on: backend, initializer: .kaiming, seed: 3)
    }
}
