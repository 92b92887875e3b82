import ArgumentParser
import Data
import Training

/// The training augmentation options that `vgg train` and `vgg preview` share, and the
/// `Preprocessing` they describe (its mean and colour statistics still to be computed).
struct AugmentationOptions: ParsableArguments {
    @Option(help: "Training scale S (smallest side).") var scale: Int?
    @Option(help: "Scale jittering range SMIN,SMAX.") var scaleJitter: String?
    @Option(help: "Random crop size (square).") var crop: Int?
    @Option(help: "Zero padding on every side (default: 2 for 28-pixel IDX images, else 0).") var pad: Int?
    @Flag(help: "Random horizontal flips.") var flip = false
    @Flag(help: "RGB colour shift (AlexNet PCA lighting).") var colorShift = false
    @Option(help: "Colour jitter as torchvision's ColorJitter: BRIGHTNESS[,CONTRAST[,SATURATION[,HUE]]], e.g. 0.4,0.4,0.4,0.1 (not in the paper). Default: off.")
    var colorJitter: String?
    @Option(help: "Random erasing probability (Zhong et al.; not in the paper). Default: off.")
    var randomErasing: Double?

    func validate() throws {
        if let randomErasing, !(0...1).contains(randomErasing) { throw ValidationError("--random-erasing must be a probability in [0, 1]") }
    }

    /// The preprocessing these options ask for on data of `spec`'s kind.
    func preprocessing(for spec: DatasetSpec) throws -> Preprocessing {
        var pre = Preprocessing(mean: [])
        pre.pad = pad ?? (spec.kind == .idx ? 2 : 0)
        if let scale { pre.trainScale = [scale] }
        if let j = scaleJitter { pre.trainScale = try parsed { try CommandLineSyntax.scaleRange(j) } }
        pre.crop = crop
        pre.flip = flip
        pre.colorShift = colorShift
        if let colorJitter {
            do { pre.colorJitter = try ColorJitter(parsing: colorJitter) } catch { throw ValidationError("--color-jitter: \(error)") }
        }
        if let randomErasing, randomErasing > 0 { pre.randomErasing = randomErasing }
        return pre
    }
}
