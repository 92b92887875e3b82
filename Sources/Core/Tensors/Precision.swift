/// The arithmetic a backend trains and evaluates in (`--precision`, `VGG_PRECISION`); the one
/// definition every backend follows (docs/precision.md repeats it with a table).
///
/// - `fp32`: IEEE binary32 everywhere; products and sums in float32 (no TF32). The default,
///   and what every backend implements.
/// - `tf32`: float32 storage; convolutions and matrix products multiply operands rounded to
///   TF32 (8-bit exponent, 10-bit mantissa) and accumulate in float32 (PyTorch's
///   `allow_tf32`). Everything else as `fp32`. Only a backend with TF32 units (`cuda`)
///   implements it; the CPU backends refuse it rather than run fp32 under that name.
/// - `bf16`: mixed precision with bfloat16 activations and weight copies. Every rounding is
///   `BFloat16.rounded` (round to nearest, ties to even; NaN stays a quiet NaN; overflow
///   goes to ±∞). The rounding points, op by op:
///   1. The input batch is rounded to bf16 once, when it enters the network.
///   2. Every op reads its activation inputs as bf16 values (they already are, by 1 and 3)
///      and its weights and biases through a bf16 copy of the fp32 master.
///   3. Every op rounds its activation outputs (forward) and its activation-input
///      gradients (backward) to bf16 once, after computing them in float32 (or wider).
///   4. Convolutions and matrix products multiply bf16 operands (exact in float32) and
///      accumulate in float32; a reference may accumulate in double and round once to
///      float32 and then to bf16 (the `reference` backend does).
///   5. ReLU, max-pooling and dropout's masking are exact on bf16 values (no rounding is
///      needed: their outputs are inputs or zero, dropout's scale excepted, which is
///      rounded per 3).
///   6. Kept in float32, never rounded to bf16: master weights and biases, momentum,
///      weight and bias gradients (and their accumulation across micro-batches and
///      processes), BatchNorm's batch and running statistics and its γ/β gradients, the
///      logits' soft-max probabilities, the loss and its gradient with respect to the
///      logits before point 3 applies to it.
///   7. The SGD step updates the float32 master (and momentum) from float32 gradients and
///      then writes the bf16 copy that the next forward pass reads (point 2).
///   Checkpoints hold the float32 master: a bf16-trained checkpoint loads on any backend and
///   precision.
public enum Precision: String, CaseIterable, Sendable, Codable {
    /// IEEE float32 everywhere, no TF32.
    case fp32
    /// float32 storage; convolutions and products on TF32 operands with float32 sums.
    case tf32
    /// bfloat16 activations and weight copies, float32 masters, statistics and loss.
    case bf16

    /// `VGG_PRECISION` when set (fp32, tf32, bf16; other values are errors), else `fp32`.
    public static func fromEnvironment(_ environment: [String: String]) throws -> Precision {
        guard let v = environment["VGG_PRECISION"], !v.isEmpty else { return .fp32 }
        guard let p = Precision(rawValue: v.lowercased()) else {
            throw BackendError(operation: "VGG_PRECISION=\(v)", problem: "not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return p
    }
}
