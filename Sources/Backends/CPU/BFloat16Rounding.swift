import CKernels
import Foundation
@_spi(BackendImplementation) import Tensors

/// Where a `cpu` op rounds, per `Precision` (docs/precision.md), the points the `reference`
/// backend's ops round at: nowhere in fp32 (the tensors are handed on untouched, no extra
/// pass); in bf16 on reading (activations, activation gradients, and weights and biases
/// through a rounded copy of the float32 master, which stays untouched) and on writing
/// (activation outputs and activation-input gradients, rounded in place once the float32
/// kernel has computed them). Every rounding is `vgg_round_bf16`, the rule of
/// `BFloat16.rounded`. Weight and bias gradients, statistics, probabilities and the loss
/// are never passed through it.
///
/// The rounded copies live in host memory pooled here: a copy is given back when the op's
/// body returns, so the pool holds as many copies as one op reads at once (at most three),
/// each grown to the largest read, not one per layer. Thread-safe: concurrent ops get
/// distinct copies.
final class BFloat16Rounding: @unchecked Sendable {
    /// Rounds to bf16 when true; hands every tensor on unchanged when false.
    let toBFloat16: Bool
    private var free: [Storage] = []
    private let lock = NSLock()

    /// `fp32` or `bf16` (`tf32` is refused before a backend is made).
    init(_ precision: Precision) {
        precondition(precision != .tf32, "the cpu backend has no TF32 arithmetic")
        toBFloat16 = precision == .bf16
    }

    /// `body` of `a` itself in fp32; in bf16 of a copy of `a` rounded.
    func reading<R>(_ a: Tensor, _ body: (Tensor) -> R) -> R {
        guard toBFloat16 else { return body(a) }
        let (ra, sa) = rounded(a)
        defer { give(sa) }
        return body(ra)
    }

    /// `body` of `a` and `b` themselves in fp32; in bf16 of rounded copies.
    func reading<R>(_ a: Tensor, _ b: Tensor, _ body: (Tensor, Tensor) -> R) -> R {
        guard toBFloat16 else { return body(a, b) }
        let (ra, sa) = rounded(a), (rb, sb) = rounded(b)
        defer { give(sa); give(sb) }
        return body(ra, rb)
    }

    /// `body` of `a`, `b` and `c` themselves in fp32; in bf16 of rounded copies.
    func reading<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ body: (Tensor, Tensor, Tensor) -> R) -> R {
        guard toBFloat16 else { return body(a, b, c) }
        let (ra, sa) = rounded(a), (rb, sb) = rounded(b), (rc, sc) = rounded(c)
        defer { give(sa); give(sb); give(sc) }
        return body(ra, rb, rc)
    }

    /// Rounds `t`'s values in place in bf16 (an op's output, after it is computed).
    func write(_ t: Tensor?) {
        guard toBFloat16, let t else { return }
        vgg_round_bf16(t.hostPointer, t.hostPointer, t.count)
    }

    /// A view of pooled memory holding `t`'s values rounded, and that memory.
    private func rounded(_ t: Tensor) -> (Tensor, Storage) {
        let storage = take(t.count)
        let copy = Tensor(viewing: storage, shape: t.shape, layout: t.layout)
        vgg_round_bf16(t.hostPointer, copy.hostPointer, t.count)
        return (copy, storage)
    }

    /// The smallest free memory of at least `count` elements; when none is that large the
    /// largest free one (too small) is dropped and a new one allocated.
    private func take(_ count: Int) -> Storage {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.indices.filter({ free[$0].count >= count }).min(by: { free[$0].count < free[$1].count }) {
            return free.remove(at: i)
        }
        if let i = free.indices.max(by: { free[$0].count < free[$1].count }) { free.remove(at: i) }
        return HostMemory.shared.allocate(count: count)
    }

    private func give(_ storage: Storage) {
        lock.lock()
        free.append(storage)
        lock.unlock()
    }
}
