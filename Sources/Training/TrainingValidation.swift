import Foundation
import NN

/// One validation of a training run as observers see it: the epoch's metrics, the full
/// result (confusion matrix), the state after the epoch closed, the network, and whether the
/// run ends with it (its reports then include `confusion.png` and `predictions.png`).
public struct TrainingValidation {
    public let metrics: EpochMetrics
    public let result: EvaluationResult
    /// The state once the epoch is closed: `optimizerSteps` is the step the validation follows.
    public let state: TrainingState
    public let network: Sequential
    /// Whether this is the run's last validation (epochs done, step cap or schedule finished).
    public let isLast: Bool
    /// The directory holding the run's reports (`curves.png`, and at the end `confusion.png`, `predictions.png`).
    public let outputDirectory: URL
}
