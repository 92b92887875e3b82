/// What a forward pass needs to know besides its input: training or inference, and, for
/// the counter-based randomness of dropout, which optimizer step it belongs to and the
/// global index of the batch's first sample (0 unless several processes share a batch).
public struct PassContext: Sendable, Equatable {
    public var mode: Mode
    public var step: UInt64
    public var firstSample: Int

    public init(mode: Mode, step: UInt64 = 0, firstSample: Int = 0) {
        self.mode = mode; self.step = step; self.firstSample = firstSample
    }

    /// Inference: running statistics, no dropout.
    public static let inference = PassContext(mode: .inference)

    /// A training pass of optimizer step `step`.
    public static func training(step: Int, firstSample: Int = 0) -> PassContext {
        PassContext(mode: .training, step: UInt64(step), firstSample: firstSample)
    }
}
