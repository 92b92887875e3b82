/// A training run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible {
    case diverged(epoch: Int, batch: Int, hint: String)
    case batchNotDivisible(batchSize: Int, processes: Int)
    public var description: String {
        switch self {
        case let .diverged(e, b, hint): return "the loss became NaN or infinite at epoch \(e), batch \(b)\(hint)"
        case let .batchNotDivisible(b, n):
            return "--batch-size \(b) is the global batch and must divide among the \(n) processes (each takes an equal slice): use a multiple of \(n)"
        }
    }
}
