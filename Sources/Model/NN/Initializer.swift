import Support
import Tensors

/// Weight initialisation schemes; all seeded and reproducible. Biases start at zero.
public enum Initializer: String, CaseIterable, Codable, Sendable {
    /// The paper's: weights from N(0, 10⁻²) (variance 10⁻², i.e. standard deviation 0.1).
    case paper
    /// Glorot & Bengio's uniform: U(−a, a), a = √(6 / (fan_in + fan_out)).
    case xavier
    /// torchvision's VGG default: conv weights N(0, 2 / fan_out) (Kaiming, ReLU), linear N(0, 0.01²).
    case kaiming
    /// He et al. (2015) in its forward form: conv and linear weights N(0, 2 / fan_in). It keeps
    /// the activations' variance through every ReLU layer whatever the input's channel count and
    /// size, where `kaiming`'s fan-out convolutions and 0.01 linear layers shrink it (by about
    /// 10⁵ before the soft-max for VGG-A on 1×32×32 inputs, which then sits at loss ln 10 for
    /// hundreds of batches without BatchNorm).
    case he

    /// What `vgg train` uses unless told: torchvision's `kaiming` for networks with BatchNorm
    /// (which rescales every layer's output anyway), `he` without, where only a
    /// variance-preserving start lets plain VGG-A leave loss ln 10 within its first epoch.
    public static func `default`(batchNorm: Bool) -> Initializer { batchNorm ? .kaiming : .he }

    /// Initialises every Conv2d, Linear and BatchNorm2d layer of the network in order
    /// (values drawn on the host, then copied to the backend).
    public func apply(to network: Sequential, seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        for (_, layer) in network.layers {
            switch layer {
            case let conv as Conv2d:
                let receptive = conv.kernelSize * conv.kernelSize
                fill(conv.weight, fanIn: conv.inChannels * receptive, fanOut: conv.outChannels * receptive, isConv: true, &rng)
                conv.bias.value.fill(0)
            case let fc as Linear:
                fill(fc.weight, fanIn: fc.inFeatures, fanOut: fc.outFeatures, isConv: false, &rng)
                fc.bias.value.fill(0)
            case let bn as BatchNorm2d:
                bn.weight.value.fill(1)
                bn.bias.value.fill(0)
                bn.runningMean.value.fill(0)
                bn.runningVariance.value.fill(1)
            default:
                break
            }
        }
    }

    private func fill(_ p: Parameter, fanIn: Int, fanOut: Int, isConv: Bool, _ rng: inout Xoshiro256) {
        let values: [Float]
        switch self {
        case .paper:
            values = (0..<p.count).map { _ in 0.1 * Float(rng.nextGaussian()) }
        case .xavier:
            let a = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
            values = (0..<p.count).map { _ in Float(2 * rng.nextUnit() - 1) * a }
        case .kaiming:
            let std: Float = isConv ? Float((2.0 / Double(fanOut)).squareRoot()) : 0.01
            values = (0..<p.count).map { _ in std * Float(rng.nextGaussian()) }
        case .he:
            let std = Float((2.0 / Double(fanIn)).squareRoot())
            values = (0..<p.count).map { _ in std * Float(rng.nextGaussian()) }
        }
        p.value.copy(from: values)
    }
}
