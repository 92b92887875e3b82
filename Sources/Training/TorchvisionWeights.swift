import Foundation
import NN
import Tensors
import VGG
import SafeTensorsFormat
import PyTorchFormat

/// Moves weights between vgg-swift checkpoints and torchvision `state_dict`s saved as
/// safetensors or with `torch.save` (import only; see `TorchvisionStateDict` for the names and layouts): `importCheckpoint`
/// makes a checkpoint of a torchvision file, `export` writes a checkpoint's state_dict.
public enum TorchvisionWeights {
    /// torchvision's ImageNet normalisation (`transforms.Normalize`), in [0, 1] units.
    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    /// The data set recorded in imported checkpoints: there was no training here, so this
    /// names a folder that does not exist; `vgg eval` needs `--data` with them.
    public static let placeholderData = DatasetSpec(kind: .folder, path: "/nonexistent/imported-torchvision-weights")

    /// torchvision's evaluation preprocessing for an input of `crop`×`crop` (224: resize the
    /// smallest side to 256, centre crop 224, ImageNet mean and std); other sizes keep the
    /// 256/224 ratio. Images are read in [0, 1] and normalised, as torchvision's `ToTensor`.
    public static func preprocessing(height: Int, width: Int) -> Preprocessing {
        var p = Preprocessing(mean: imageNetMean)
        p.std = imageNetStd
        let crop = min(height, width)
        p.testScale = Int((Double(crop) * 256 / 224).rounded())
        p.crop = crop
        return p
    }

    /// Reads a class-names file: one name a line, blank lines and trailing spaces ignored.
    public static func classNames(contentsOf url: URL) throws -> [String] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw CheckpointError(path: url.path, problem: "cannot read the class names (\(error.localizedDescription))")
        }
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Reads a torchvision state_dict (F32, F16 or BF16; safetensors or a `torch.save` .pth file,
    /// told apart by content, see `WeightsFile`), loads it into the network
    /// `options` describes on `backend` (after checking every key, see `TorchvisionStateDict.load`)
    /// and returns the network with the header of its checkpoint. Class names default to
    /// "class 0", "class 1", ... Nothing is allocated for the network before the file is known
    /// to hold as many values as it has (`requireValues`).
    public static func importWeights(_ url: URL, options: VGGOptions, classNames: [String]? = nil,
                                     on backend: any Backend) throws -> (header: CheckpointHeader, network: Sequential) {
        let tensors = try WeightsFile.read(contentsOf: url).tensors
        try requireValues(for: options, in: tensors, path: url.path)
        let network: Sequential
        do { network = try VGGBuilder.build(options, on: backend, initializer: nil) } catch {
            throw CheckpointError(path: url.path, problem: "cannot build \(options.summaryLine): \(error)")
        }
        try TorchvisionStateDict.load(tensors, into: network, path: url.path)
        let names = classNames ?? (0..<options.classes).map { "class \($0)" }
        guard names.count == options.classes else {
            throw CheckpointError(path: url.path, problem: "\(names.count) class names given for a network with \(options.classes) classes")
        }
        return (header(options: options, classNames: names), network)
    }

    /// Throws unless the network of `options` can be built and `tensors` (read from `path`)
    /// hold at least as many values as it stores: sizes read off a file (`TorchvisionStateDict.options`)
    /// may describe any network, and it must not be allocated before the file proves its size.
    public static func requireValues(for options: VGGOptions, in tensors: [String: SafeTensor], path: String) throws {
        let needed: Int
        do { needed = try VGGBuilder.storedValueCount(options) } catch {
            throw CheckpointError(path: path, problem: "cannot build \(options.summaryLine): \(error)")
        }
        let held = tensors.values.reduce(0) { $0 + $1.values.count }
        guard needed <= held else {
            throw CheckpointError(path: path, problem: "holds \(held) values, fewer than the \(needed) of \(options.summaryLine): these weights are not for this network")
        }
    }

    /// Imports `weights` and writes them as a checkpoint to `checkpoint`; returns the network.
    @discardableResult
    public static func importCheckpoint(weights: URL, options: VGGOptions, classNames: [String]? = nil,
                                        on backend: any Backend, to checkpoint: URL) throws -> Sequential {
        let (header, network) = try importWeights(weights, options: options, classNames: classNames, on: backend)
        try Checkpoint.write(header, network: network, to: checkpoint)
        return network
    }

    /// The header of an imported (untrained-here) network's checkpoint: placeholder data set,
    /// torchvision's preprocessing, epoch 0, no history.
    public static func header(options: VGGOptions, classNames: [String]) -> CheckpointHeader {
        let configuration = TrainingConfiguration(model: options, data: placeholderData)
        let state = TrainingState(scheduler: LearningRateScheduler(configuration.schedule, baseLearningRate: configuration.learningRate))
        return CheckpointHeader(configuration: configuration,
                                preprocessing: preprocessing(height: options.inputHeight, width: options.inputWidth),
                                classNames: classNames, state: state)
    }

    /// The state_dict of a checkpoint's network (BatchNorm `num_batches_tracked` included).
    public static func stateDict(of model: TrainedModel) -> [TorchvisionStateDict.Entry] {
        TorchvisionStateDict.entries(of: model.network)
    }

    /// Writes the state_dict of the checkpoint at `checkpointURL` to `url` (safetensors,
    /// metadata `format: pt` as `safetensors.torch.save_file` writes). Returns the model.
    @discardableResult
    public static func export(checkpoint checkpointURL: URL, to url: URL, on backend: any Backend) throws -> TrainedModel {
        let model = try TrainedModel(contentsOf: checkpointURL, on: backend)
        try SafeTensors.write(stateDict(of: model), metadata: ["format": "pt"], to: url)
        return model
    }

    /// Whether a network with these options has torchvision's exact layout (the 512·7·7 inputs
    /// of `classifier.0`), so that `torchvision.models.vgg*()` itself accepts its state_dict.
    public static func matchesTorchvisionLayout(_ o: VGGOptions) -> Bool {
        var h = o.inputHeight, w = o.inputWidth
        for case .maxPool in o.configuration.stack { h /= 2; w /= 2 }
        let side = o.adaptivePool.map { ($0, $0) } ?? (h, w)
        return o.finalChannels == 512 && side == (7, 7) && o.classifierWidth == 4096
            && o.configuration != .ALRN && o.configuration != .C && o.inputChannels == 3
    }
}
