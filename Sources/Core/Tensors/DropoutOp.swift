/// Inverted dropout planned for one `[N, …]` shape: in training each element is kept with
/// probability 1 − p and scaled by 1/(1 − p), else zeroed.
///
/// Masks come from a counter-based generator (`DropoutKey`, Philox4x32-10), a pure function
/// of (seed, layer stream, step, global sample index, element index): every backend, any
/// number of processes and a resumed run draw exactly the same masks.
public protocol DropoutOp: AnyObject {
    var shape: [Int] { get }
    var probability: Float { get }
    /// y = x ⊙ mask; the mask is kept for `backward`.
    func forward(x: Tensor, y: Tensor, key: DropoutKey)
    /// gradient ← gradient ⊙ mask, in place.
    func backward(gradient: Tensor)
}
