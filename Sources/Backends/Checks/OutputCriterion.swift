/// How one output of the backend under test must agree with the other backend's.
public enum OutputCriterion: Sendable, Equatable {
    /// `|a − b| ≤ tolerance · max(max|ref|, scale)` element by element; `scale` is for outputs
    /// that are small differences of much larger terms (the size of those terms), 0 otherwise.
    case close(tolerance: Double, scale: Double)
    /// The same bits (masks, maxima, copies).
    case identical
    /// The same numbers: like `identical`, but +0 and −0 are equal (ReLU, counts).
    case equal
}
