import ArgumentParser
import Foundation
import ONNX
import Support
import Training

/// `vgg export`: a checkpoint's weights as a torchvision state_dict (safetensors), or its
/// inference network as an ONNX model.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's weights as a torchvision state_dict (safetensors) or its network as ONNX.",
        discussion: """
            --format safetensors (the default): the file holds torchvision's names and shapes: features.N.weight/bias, \
            for BatchNorm models also features.N.running_mean/running_var and features.N.num_batches_tracked (I64 scalar), \
            and classifier.{0,3,6}.weight/bias. Load it in Python with \
            model.load_state_dict(safetensors.torch.load_file("W.safetensors"), strict=True).

            torchvision.models.vgg11() (vgg13, vgg16, vgg19, *_bn) itself takes it only when the network has \
            its layout: 3 input channels, full widths, a 7x7 final map (224 px input, or --adaptive-pool 7) so \
            that classifier.0 has 512*7*7 inputs, and a 4096-wide classifier. Other models (e.g. trained at \
            32 px, whose classifier.0 has 512 inputs) are exported all the same, with their own shapes: build \
            the model in Python with the matching sizes to load them.

            --format onnx: the inference network (opset 17; Conv, BatchNormalization, Relu, LRN, MaxPool, \
            AveragePool or GlobalAveragePool for the adaptive pooling, Flatten, Gemm; dropout left out), input \
            "input" float32 [batch, C, H, W] with a free batch size, output "logits" [batch, classes] (or \
            "probabilities" with --softmax). The preprocessing is in the model's metadata_props: mean and std \
            (per channel, for pixels in [0, 1]), input_size (C,H,W), pad, resize (smallest side), crop, \
            class_names (JSON), preprocessing (the checkpoint's JSON) and architecture.
            """)
    /// The file formats `vgg export` writes.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case safetensors, onnx
    }

    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: ArgumentHelp("File to write (safetensors or ONNX, as --format says).", valueName: "file")) var out: String
    @Option(help: "safetensors (torchvision state_dict) or onnx (the inference network).") var format: Format = .safetensors
    @Flag(help: "ONNX: end the network with a softmax (probabilities instead of logits).") var softmax = false
    @Option(help: "ONNX: the operator set version (17 or later).") var opset = 17
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if format != .onnx && (softmax || opset != 17) { throw ValidationError("--softmax and --opset are options of --format onnx") }
    }

    func run() throws {
        switch format {
        case .safetensors: try exportSafetensors()
        case .onnx: try exportONNX()
        }
    }

    private func exportSafetensors() throws {
        let model = try TorchvisionWeights.export(checkpoint: checkpointOptions.url, to: URL(fileURLWithPath: out),
                                                  on: try runtime.makeBackend())
        let o = model.configuration.model
        print("wrote \(out): \(o.summaryLine)")
        if !TorchvisionWeights.matchesTorchvisionLayout(o) {
            print("note: this is not torchvision's exact layout (classifier.0 has \(model.network.namedParameters.first { $0.name == "classifier.0.weight" }?.parameter.shape[1] ?? 0) inputs); "
                  + "torchvision.models.vgg*() will not load it as it is, a model built with the same sizes will")
        }
    }

    private func exportONNX() throws {
        let model = try TrainedModel(contentsOf: checkpointOptions.url, on: try runtime.makeBackend())
        let o = model.configuration.model
        var options = ONNXExportOptions()
        options.opset = opset
        options.softmax = softmax
        options.metadata = Self.metadata(of: model)
        let data: Data
        do {
            data = try ONNXExporter.data(of: model.network, inputShape: [o.inputChannels, o.inputHeight, o.inputWidth], options: options)
        } catch {
            throw ValidationError("\(checkpointOptions.checkpoint): \(error)")
        }
        try AtomicFile.write(data, to: URL(fileURLWithPath: out))
        print("wrote \(out): \(o.summaryLine), opset \(opset), input [batch, \(o.inputChannels), \(o.inputHeight), \(o.inputWidth)], "
              + (softmax ? "probabilities" : "logits") + " [batch, \(o.classes)], \(data.count) bytes")
    }

    /// The preprocessing and class names of `model`, as the ONNX model's metadata_props.
    static func metadata(of model: TrainedModel) -> [(key: String, value: String)] {
        let p = model.preprocessing, o = model.configuration.model
        func list(_ v: [Float]) -> String { v.map { "\($0)" }.joined(separator: ",") }
        func json<T: Encodable>(_ v: T) -> String { (try? JSONReport.line(v)) ?? "" }
        var m: [(key: String, value: String)] = [
            ("architecture", o.summaryLine),
            ("input_size", "\(o.inputChannels),\(o.inputHeight),\(o.inputWidth)"),
            ("input_layout", "NCHW, float32, pixels in [0, 1] before mean and std"),
            ("mean", list(p.mean)),
            ("std", list(p.std ?? [Float](repeating: 1, count: p.mean.count))),
            ("pad", "\(p.pad)"),
        ]
        if let q = p.evaluationScale { m.append(("resize", "\(q)")) }
        if let c = p.crop { m.append(("crop", "\(c)")) }
        m.append(("class_names", json(model.classNames)))
        m.append(("preprocessing", json(p)))
        return m
    }
}
