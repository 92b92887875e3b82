import ArgumentParser
import Training
import VGG

/// `--batch-size` of the commands that run a network over a data set (`vgg train`, `eval`,
/// `features`), declared once with one default: the paper's 256 (`TrainingConfiguration`).
/// `vgg bench` and `vgg infer` declare their own, with smaller defaults whose reasons their
/// help gives.
struct BatchOptions: ParsableArguments {
    /// The one default, `TrainingConfiguration`'s (the paper's §3.1 mini-batch).
    static let defaultBatchSize = TrainingConfiguration(model: VGGOptions(), data: .fashionMNIST).batchSize

    @Option(help: ArgumentHelp("Images per batch (vgg train: the SGD mini-batch, the paper's size).", valueName: "n"))
    var batchSize: Int = defaultBatchSize

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }
}
