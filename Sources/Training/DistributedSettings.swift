import Tensors

/// How gradients travel between the processes of a data-parallel run (none of it changes
/// the result beyond float rounding, so it is not saved in checkpoints).
public struct DistributedSettings: Equatable, Sendable {
    /// Gradients are summed in buckets of about this many bytes, each started as soon as the
    /// backward pass of its layers is done (PyTorch DDP's default: 25 MiB).
    public var bucketBytes: Int = 25 << 20
    /// False: one all-reduce of every gradient after the backward pass (for comparison).
    public var overlap = true
    /// `.bfloat16` halves the bytes (each process's gradients rounded to bf16).
    public var precision: AllReducePrecision = .float32
    /// How `precision` and the all-reduce scheme were chosen, for the start line (empty: not said).
    public var note = ""

    public init(bucketBytes: Int = 25 << 20, overlap: Bool = true, precision: AllReducePrecision = .float32) {
        self.bucketBytes = bucketBytes; self.overlap = overlap; self.precision = precision
    }
}
