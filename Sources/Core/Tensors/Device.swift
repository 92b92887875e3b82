/// Where a tensor's elements live: the host's memory (the `cpu` and `reference` backends)
/// or a GPU's (a CUDA backend).
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case host
    case cuda(ordinal: Int)

    public var description: String {
        switch self {
        case .host: return "host"
        case let .cuda(ordinal): return "cuda:\(ordinal)"
        }
    }
}
