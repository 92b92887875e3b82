import Foundation

/// A training run about to train, as observers see it: its settings (those of the
/// checkpoint when resumed), the data's preprocessing and classes, the state it starts from,
/// and the sizes of an epoch.
public struct TrainingStart {
    public let configuration: TrainingConfiguration
    public let preprocessing: Preprocessing
    public let classNames: [String]
    /// Step 0, or the checkpoint's position when resumed.
    public let state: TrainingState
    /// Batches in an epoch (the global batches, over every process).
    public let batchesPerEpoch: Int
    /// Images trained on per epoch, and validated on.
    public let trainingImages: Int
    public let validationImages: Int
    /// The directory holding the run's checkpoints and reports.
    public let outputDirectory: URL
}
