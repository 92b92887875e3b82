import ArgumentParser
import Foundation
import Tensors
import Training
import VGG
import PyTorchFormat

/// `vgg import`: a torchvision state_dict (safetensors or `torch.save` .pth) → a vgg-swift checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make a checkpoint of torchvision VGG weights (a state_dict saved as safetensors or with torch.save).",
        discussion: """
            Save the weights in Python with \
            safetensors.torch.save_file(torchvision.models.vgg16(weights=...).state_dict(), "vgg16.safetensors") \
            and import them with --arch D (vgg11: A, vgg13: B, vgg16: D, vgg19: E; add --batch-norm for vgg*_bn). \
            or with torch.save(model.state_dict(), "vgg16.pth") (the zip format of PyTorch 1.6 and later; the \
            format is told by the content, and the .pth pickle is read without running it: only the globals a \
            state_dict needs are allowed). F32, F16 and BF16 tensors are read. Every missing, unexpected or \
            mis-shaped key is reported by name.

            The checkpoint gets torchvision's ImageNet preprocessing (resize to 256, centre crop 224, mean \
            0.485/0.456/0.406, std 0.229/0.224/0.225) and a placeholder data set: give `vgg eval` a --data folder.
            """)
    @OptionGroup var model: TorchvisionModelOptions
    @Option(help: "Input size CxHxW the network is built for.") var input: String = "3x224x224"
    @Option(help: "torchvision state_dict: safetensors or a torch.save .pth file.") var weights: String
    @Option(help: "Text file with one class name a line (default: class 0, class 1, ...).")
    var classNames: String?
    @Option(help: ArgumentHelp("vgg checkpoint file to write.", valueName: "file")) var out: String
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let weightsURL = URL(fileURLWithPath: weights)
        let tensors = try WeightsFile.read(contentsOf: weightsURL).tensors
        let options = try model.options(input: try parsed { try CommandLineSyntax.inputShape(input) }, weights: tensors)
        let names = try classNames.map { try TorchvisionWeights.classNames(contentsOf: URL(fileURLWithPath: $0)) }
        let network = try TorchvisionWeights.importCheckpoint(weights: weightsURL, options: options, classNames: names,
                                                              on: try runtime.makeBackend(), to: URL(fileURLWithPath: out))
        print(options.summaryLine + (options.adaptivePool.map { ", avgpool \($0)x\($0)" } ?? ""))
        print("imported \(TorchvisionStateDict.expectedShapes(of: network).count) tensors (\(network.parameterCount) parameters) from \(weights)")
        print("wrote \(out)")
    }
}
