import Support

/// A training run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss or the model became NaN or infinite `at` a step (`cause`: where first);
    /// `kept`: what became of the last checkpoint, which the diverged model never overwrites.
    case diverged(at: String, cause: String, kept: String, hint: String)
    /// A SIGINT or SIGTERM stopped the run after a batch, with a checkpoint.
    case interrupted(signal: Int32, at: String, checkpoint: String)
    case batchNotDivisible(batchSize: Int, processes: Int)
    /// `--reproducible` cannot hold for this run (`reason`).
    case notReproducible(String)
    public var description: String {
        switch self {
        case let .diverged(at, cause, kept, hint): return "training diverged at \(at): \(cause); \(kept)\(hint)"
        case let .interrupted(signal, at, checkpoint):
            return "interrupted by \(StopSignals.name(of: signal)) at \(at): saved \(checkpoint)"
        case let .notReproducible(reason): return "--reproducible: \(reason)"
        case let .batchNotDivisible(b, n):
            return "--batch-size \(b) is the global batch and must divide among the \(n) processes (each takes an equal slice): use a multiple of \(n)"
        }
    }
}
