import Foundation
import NN
import Tensors
import VGG
import SafeTensorsFormat
import PyTorchFormat

/// The trained network a run starts from (`vgg train --finetune SRC`): a vgg checkpoint, or
/// torchvision weights (a state_dict as safetensors or a PyTorch `.pth`).
///
/// Every tensor of the new network whose name and shape match one of the source's is copied
/// (weights, biases, BatchNorm scales and running statistics); the others keep their fresh
/// initialisation: typically the last fully connected layer when the class count differs.
/// Nothing else is taken over: the optimizer starts afresh (no momentum), the preprocessing
/// is computed for the new run's data and options (a new scale, say: the paper's S = 384
/// nets started from the S = 256 net at lr 1e-3), the training state starts at step 0.
public struct FineTuningSource {
    public let path: String
    /// The source's tensors under torchvision's names.
    public let tensors: [String: SafeTensor]
    /// The source's network options when it is a vgg checkpoint (nil for torchvision weights).
    public let model: VGGOptions?

    /// What `copy(into:)` did.
    public struct Outcome: Sendable {
        /// Names copied from the source.
        public var copied: [String] = []
        /// Names left as initialised, with the reason (missing from the source, or its shape).
        public var fresh: [(name: String, reason: String)] = []
    }

    /// Reads a checkpoint (its network rebuilt on `backend` to list its tensors) or a weights file.
    public static func read(_ url: URL, on backend: any Backend) throws -> FineTuningSource {
        // A vgg checkpoint (`.ckpt`: its errors are reported as such), else torchvision weights.
        let checkpoint = url.pathExtension == "ckpt" ? try Checkpoint.read(from: url) : try? Checkpoint.read(from: url)
        if let ck = checkpoint {
            let network = try VGGBuilder.build(ck.header.configuration.model, on: backend, initializer: nil)
            try ck.loadModel(into: network)
            var tensors: [String: SafeTensor] = [:]
            for e in TorchvisionStateDict.entries(of: network) { tensors[e.name] = e.tensor }
            return FineTuningSource(path: url.path, tensors: tensors, model: ck.header.configuration.model)
        }
        return FineTuningSource(path: url.path, tensors: try WeightsFile.read(contentsOf: url).tensors, model: nil)
    }

    public init(path: String, tensors: [String: SafeTensor], model: VGGOptions?) {
        self.path = path
        self.tensors = tensors
        self.model = model
    }

    /// Copies every tensor whose name and shape match into `network`.
    @discardableResult
    public func copy(into network: Sequential) -> Outcome {
        var outcome = Outcome()
        for (name, p) in network.namedParameters + network.namedBuffers {
            guard let t = tensors[name] else {
                outcome.fresh.append((name, "not in the source"))
                continue
            }
            guard t.shape == p.shape else {
                outcome.fresh.append((name, "the source's is \(t.shape), this network's \(p.shape)"))
                continue
            }
            p.value.copy(from: t.values)
            outcome.copied.append(name)
        }
        for (layerName, layer) in network.layers {
            guard let bn = layer as? BatchNorm2d, let t = tensors["\(layerName).num_batches_tracked"], t.values.count == 1 else { continue }
            bn.batchesTracked = Int(t.values[0])
        }
        return outcome
    }
}
