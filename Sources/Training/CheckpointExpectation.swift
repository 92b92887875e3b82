import Foundation
import VGG

/// What the checkpoint a run resumes from must match: the settings its command line named.
///
/// A resumed run takes its settings from its checkpoint, so a bare `vgg train --resume --out D`
/// continues whatever `D/last.ckpt` holds. When the command line does name the network, the
/// data or the seed, a checkpoint saved with others is another architecture's or another
/// run's file (copied in by mistake, or `--out` pointing at the wrong run): it is refused,
/// naming both, instead of silently continuing something else.
public struct CheckpointExpectation: Sendable {
    /// The network named (architecture, BatchNorm, widths); nil: any. Classes and input size
    /// come from the data and are not compared.
    public var model: VGGOptions?
    /// The data set named; nil: any.
    public var data: DatasetSpec?
    /// The seed named; nil: any.
    public var seed: UInt64?

    public init(model: VGGOptions? = nil, data: DatasetSpec? = nil, seed: UInt64? = nil) {
        self.model = model; self.data = data; self.seed = seed
    }

    /// Nothing required: any checkpoint of a buildable network.
    public static let any = CheckpointExpectation()

    /// Why `configuration` (a checkpoint's) does not match, or nil when it does.
    public func mismatch(_ configuration: TrainingConfiguration) -> String? {
        let saved = configuration.model
        if let model, model.configuration != saved.configuration || model.batchNorm != saved.batchNorm
            || model.widthDivisor != saved.widthDivisor || model.classifierWidth != saved.classifierWidth {
            return "was saved for \(Self.architecture(saved)), not the \(Self.architecture(model)) of this command line: another architecture's checkpoint"
        }
        if let data, Self.canonical(data.path) != Self.canonical(configuration.data.path) || data.kind != configuration.data.kind {
            return "was saved by a run on \(configuration.data.path) (\(configuration.data.kind.rawValue)), not this command line's \(data.path) (\(data.kind.rawValue)): another run's checkpoint"
        }
        if let seed, seed != configuration.seed {
            return "was saved by a run with seed \(configuration.seed), not this command line's \(seed): another run's checkpoint"
        }
        return nil
    }

    /// "VGG-A-BN, widths /8, classifier 64".
    static func architecture(_ o: VGGOptions) -> String {
        "VGG-\(o.configuration.rawValue)\(o.batchNorm ? "-BN" : "")" + (o.widthDivisor > 1 ? ", widths /\(o.widthDivisor)" : "") + ", classifier \(o.classifierWidth)"
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
