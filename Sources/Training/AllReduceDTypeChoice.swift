import Tensors

/// What `--allreduce-dtype` asks for: a precision, or `auto`, which picks it from where the
/// gradients travel (docs/distributed.md, "The gradient precision and the hierarchical sum").
///
/// `auto`: float32 while every rank shares one host (over shared memory the bf16 conversion
/// costs more than the halved bytes save), bfloat16 as soon as one rank is on another host
/// (every measured TCP link, unshaped and shaped, moved bf16 faster), and float32 always under
/// `--reproducible`, whose exact sums are float32 sums.
public enum AllReduceDTypeChoice: String, Sendable, CaseIterable {
    case automatic = "auto"
    case float32
    case bfloat16

    /// The precision gradients travel in, for ranks that span several hosts or not.
    public func resolved(spansHosts: Bool, reproducible: Bool) -> AllReducePrecision {
        switch self {
        case .float32: return .float32
        case .bfloat16: return .bfloat16
        case .automatic: return !reproducible && spansHosts ? .bfloat16 : .float32
        }
    }

    /// Why `resolved` chose what it chose, for the training's start line.
    public func reason(spansHosts: Bool, reproducible: Bool) -> String {
        switch self {
        case .float32, .bfloat16: return "--allreduce-dtype \(rawValue)"
        case .automatic:
            if reproducible { return "auto: --reproducible" }
            return spansHosts ? "auto: ranks on several hosts" : "auto: every rank on one host"
        }
    }
}
