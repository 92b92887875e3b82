import ArgumentParser
import Foundation
import Tensors
import NN
import Training
import VGG
import SafeTensorsFormat
import PyTorchFormat

/// `vgg infer`: runs torchvision VGG weights on a tensor of images, tensor in, tensor out.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run a torchvision state_dict (safetensors or .pth) on an input tensor; write the logits.",
        discussion: """
            Reads tensor 'input' (N x C x H x W, NCHW, already normalised; the only tensor of the file is \
            taken when there is no 'input') and writes tensor 'logits' (N x classes, F32), in inference mode \
            (BatchNorm running statistics, no dropout). The network is built for the input's size.
            """)
    @OptionGroup var model: TorchvisionModelOptions
    @Option(help: "torchvision state_dict: safetensors or a torch.save .pth file.") var weights: String
    @Option(help: "safetensors file with the input tensor.") var input: String
    @Option(help: ArgumentHelp("safetensors file to write the logits to (required).", valueName: "file"))
    var out: String?
    /// `--out`'s former spelling, still accepted (with a warning).
    @Option(name: .customLong("output"), help: .hidden) var legacyOutput: String?
    /// Not `BatchOptions`' 256: infer holds the whole input tensor and all the logits besides
    /// one batch's activations, at torchvision's 224 pixels.
    @Option(help: ArgumentHelp("Images per forward pass. Smaller than the \(BatchOptions.defaultBatchSize) of train, eval and features: infer holds the whole input tensor and all the logits besides one batch's activations, and torchvision's networks run at 224 pixels; only memory and speed depend on it.",
                               valueName: "n"))
    var batchSize: Int = 16
    @OptionGroup var runtime: RuntimeOptions

    /// The renamed spellings this command line used.
    var renamedOptions: [RenamedOption] { legacyOutput == nil ? [] : [RenamedOption(command: "infer", old: "--output", new: "--out")] }

    /// The logits file, however it was spelled.
    var outputPath: String { out ?? legacyOutput ?? "" }

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard out != nil || legacyOutput != nil else { throw ValidationError("give the file to write the logits to: --out FILE") }
        guard out == nil || legacyOutput == nil else { throw ValidationError("--output is the old spelling of --out: give --out only") }
    }

    func run() throws {
        renamedOptions.forEach { $0.warn() }
        let output = outputPath
        let weightsURL = URL(fileURLWithPath: weights)
        let tensors = try WeightsFile.read(contentsOf: weightsURL).tensors
        let inputs = try SafeTensors.read(contentsOf: URL(fileURLWithPath: input)).tensors
        guard let x = inputs["input"] ?? (inputs.count == 1 ? inputs.values.first : nil) else {
            throw ValidationError("\(input): no tensor named 'input' (it has \(inputs.keys.sorted().joined(separator: ", ")))")
        }
        guard x.shape.count == 4, x.shape.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(input): the input tensor has shape \(x.shape), expected N x C x H x W")
        }
        let options = try model.options(input: Array(x.shape.dropFirst()), weights: tensors)
        try TorchvisionWeights.requireValues(for: options, in: tensors, path: weights)
        let backend = try runtime.makeBackend()
        let network = try VGGBuilder.build(options, on: backend, initializer: nil)
        try TorchvisionStateDict.load(tensors, into: network, path: weights)

        let n = x.shape[0], perImage = x.values.count / n
        var logits: [Float] = []
        logits.reserveCapacity(n * options.classes)
        var start = 0
        while start < n {
            let count = min(batchSize, n - start)
            let batch = Tensor(Array(x.values[(start * perImage)..<((start + count) * perImage)]), shape: [count] + Array(x.shape.dropFirst()),
                               on: backend)
            let y = try network.forward(batch, .inference)
            logits.append(contentsOf: y.toArray())
            start += count
        }
        try SafeTensors.write([("logits", SafeTensor(shape: [n, options.classes], values: logits))], metadata: [:], to: URL(fileURLWithPath: output))
        print("\(options.summaryLine)\(options.adaptivePool.map { ", avgpool \($0)x\($0)" } ?? ""): wrote logits [\(n), \(options.classes)] to \(output)")
    }
}
