import Foundation
@_spi(BackendImplementation) import Tensors

/// Where a reference op rounds, per `Precision` (docs/precision.md): nowhere in fp32; in
/// bf16 on reading (activations, activation gradients, and weights and biases through a
/// rounded copy of the float32 master, which stays untouched) and on writing (activation
/// outputs and activation-input gradients). Reading rounds values that are already bf16 to
/// themselves, so inside a network only the input batch and the weights change; an op
/// handed arbitrary float32 tensors computes on their bf16 values. Weight and bias
/// gradients, statistics, probabilities and the loss are never passed through it.
///
/// The ops read a rounded copy through its host pointer after their last use of the copy
/// itself, where an optimised build may already have released it. So the copies of the
/// latest reads are held here: an op reads at most 3 tensors in one call and calls are
/// sequential, so a copy lives at least until the next op's reads.
final class Rounding: @unchecked Sendable {
    /// Rounds to bf16 (`BFloat16.rounded`) when true; leaves every value alone when false.
    let toBFloat16: Bool
    private let lock = NSLock()
    private var held = [Tensor?](repeating: nil, count: 16)
    private var next = 0

    init(_ precision: Precision) {
        precondition(precision != .tf32, "the reference backend has no TF32 arithmetic")
        toBFloat16 = precision == .bf16
    }

    /// `t` itself in fp32; in bf16 a new host tensor of `t`'s values rounded.
    func read(_ t: Tensor) -> Tensor {
        guard toBFloat16 else { return t }
        let copy = Tensor(shape: t.shape, layout: t.layout, on: HostMemory.shared)
        let source = t.hostPointer, destination = copy.hostPointer
        for i in 0..<t.count { destination[i] = BFloat16.rounded(source[i]) }
        lock.withLock {
            held[next] = copy
            next = (next + 1) % held.count
        }
        return copy
    }

    /// Rounds `t`'s values in place in bf16 (an op's output, after it is computed).
    func write(_ t: Tensor) {
        guard toBFloat16 else { return }
        let p = t.hostPointer
        for i in 0..<t.count { p[i] = BFloat16.rounded(p[i]) }
    }
}
