import ArgumentParser
import Training
import VGG

/// `--workers`: the data loader's threads (decoding, resizing, augmentation), declared once
/// with one default (`TrainingConfiguration`'s) for `vgg train`, `eval`, `features` and
/// `bench --data`.
struct DataLoadingOptions: ParsableArguments {
    /// The one default, `TrainingConfiguration`'s.
    static let defaultWorkers = TrainingConfiguration(model: VGGOptions(), data: .fashionMNIST).workers

    @Option(help: ArgumentHelp("Data loading threads (0: load in the calling thread, between steps).", valueName: "n"))
    var workers: Int = defaultWorkers

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("--workers must be 0 or more") }
    }
}
