import ArgumentParser
import Foundation
import Training

/// `vgg export`: a checkpoint's weights as a torchvision state_dict (safetensors).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's weights as a torchvision state_dict (safetensors).",
        discussion: """
            The file holds torchvision's names and shapes: features.N.weight/bias, for BatchNorm models also \
            features.N.running_mean/running_var and features.N.num_batches_tracked (I64 scalar), and \
            classifier.{0,3,6}.weight/bias. Load it in Python with \
            model.load_state_dict(safetensors.torch.load_file("W.safetensors"), strict=True).

            torchvision.models.vgg11() (vgg13, vgg16, vgg19, *_bn) itself takes it only when the network has \
            its layout: 3 input channels, full widths, a 7x7 final map (224 px input, or --adaptive-pool 7) so \
            that classifier.0 has 512*7*7 inputs, and a 4096-wide classifier. Other models (e.g. trained at \
            32 px, whose classifier.0 has 512 inputs) are exported all the same, with their own shapes: build \
            the model in Python with the matching sizes to load them.
            """)
    @Option(help: "Checkpoint file.") var checkpoint: String
    @Option(help: "safetensors file to write.") var out: String
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let model = try TorchvisionWeights.export(checkpoint: URL(fileURLWithPath: checkpoint), to: URL(fileURLWithPath: out),
                                                  on: try runtime.makeBackend())
        let o = model.configuration.model
        print("wrote \(out): \(o.summaryLine)")
        if !TorchvisionWeights.matchesTorchvisionLayout(o) {
            print("note: this is not torchvision's exact layout (classifier.0 has \(model.network.namedParameters.first { $0.name == "classifier.0.weight" }?.parameter.shape[1] ?? 0) inputs); "
                  + "torchvision.models.vgg*() will not load it as it is, a model built with the same sizes will")
        }
    }
}
