/// How the learning rate changes from epoch to epoch.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// Divide by `1/factor` (the paper: 10) when validation accuracy has not improved by more
    /// than `threshold` for `patience` epochs; at most `maxDrops` times (the paper: 3), after
    /// which the next plateau ends training.
    case plateau(patience: Int, factor: Float, maxDrops: Int, threshold: Float)
    /// Multiply by `gamma` every `every` epochs.
    case step(every: Int, gamma: Float)
    /// Cosine annealing from the base rate to `minimum` over `epochs` epochs.
    case cosine(epochs: Int, minimum: Float)
    /// Keep the base rate.
    case constant

    /// Epochs without improvement before a plateau drop, unless told otherwise.
    public static let defaultPatience = 2

    /// The paper's schedule with a given patience.
    public static func paper(patience: Int = defaultPatience) -> LearningRateSchedule {
        .plateau(patience: patience, factor: 0.1, maxDrops: 3, threshold: 1e-4)
    }
}
