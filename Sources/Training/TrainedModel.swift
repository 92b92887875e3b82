import Foundation
import NN
import Tensors
import VGG

/// A trained model read back from a checkpoint onto a backend: network with weights,
/// preprocessing, class names and the configuration it was trained with.
public struct TrainedModel {
    public let network: Sequential
    public let checkpoint: Checkpoint
    public var backend: any Backend { network.backend }
    public var preprocessing: Preprocessing { checkpoint.header.preprocessing }
    public var classNames: [String] { checkpoint.header.classNames }
    public var configuration: TrainingConfiguration { checkpoint.header.configuration }

    public init(contentsOf url: URL, on backend: any Backend) throws {
        checkpoint = try Checkpoint.read(from: url)
        do {
            network = try VGGBuilder.build(checkpoint.header.configuration.model, on: backend, initializer: nil)
        } catch {
            throw CheckpointError(path: url.path, problem: "describes a network that cannot be built: \(error)")
        }
        try checkpoint.loadModel(into: network)
    }
}
