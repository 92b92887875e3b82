import Foundation
import NN
import VGG

/// A trained model read back from a checkpoint: network with weights, preprocessing,
/// class names and the configuration it was trained with.
public struct TrainedModel {
    public let network: Sequential
    public let checkpoint: Checkpoint
    public var preprocessing: Preprocessing { checkpoint.header.preprocessing }
    public var classNames: [String] { checkpoint.header.classNames }
    public var configuration: TrainingConfiguration { checkpoint.header.configuration }

    public init(contentsOf url: URL) throws {
        checkpoint = try Checkpoint.read(from: url)
        do {
            network = try VGGBuilder.build(checkpoint.header.configuration.model, initializer: nil)
        } catch {
            throw CheckpointError(path: url.path, problem: "describes a network that cannot be built: \(error)")
        }
        try ModelState.load(checkpoint, into: network, path: url.path)
    }
}
