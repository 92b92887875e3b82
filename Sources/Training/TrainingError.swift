/// A training run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible {
    case diverged(epoch: Int, batch: Int, hint: String)
    public var description: String {
        switch self {
        case let .diverged(e, b, hint): return "the loss became NaN or infinite at epoch \(e), batch \(b)\(hint)"
        }
    }
}
