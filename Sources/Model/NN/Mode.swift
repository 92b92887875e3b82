/// Whether a forward pass trains (batch statistics, dropout on) or infers.
public enum Mode: Sendable {
    case training
    case inference
}
