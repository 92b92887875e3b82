import Data
import Foundation
import NN

/// One validation of a training run as observers see it: the epoch's metrics, the full
/// result (confusion matrix), this process's posteriors, the state after the epoch closed,
/// the network, and whether the run ends with it.
public struct TrainingValidation {
    public let metrics: EpochMetrics
    public let result: EvaluationResult
    /// The state once the epoch is closed: `optimizerSteps` is the step the validation follows,
    /// `learningRate` the next epoch's (`metrics.learningRate` was this one's).
    public let state: TrainingState
    public let network: Sequential
    /// Whether this is the run's last validation (epochs done, step cap or schedule finished).
    public let isLast: Bool
    /// The directory holding the run's checkpoints and reports.
    public let outputDirectory: URL
    /// The run's settings.
    public let configuration: TrainingConfiguration
    /// The validation images of this process (its share of them under several processes),
    /// with their posteriors: `classes` probabilities per image, in the dataset's order.
    public let dataset: any ImageDataset
    public let probabilities: [Float]
    public let classes: Int
    public let classNames: [String]
    public let preprocessing: Preprocessing
    /// Seconds the validation took (BatchNorm statistics, posteriors, scoring).
    public let seconds: Double
}
