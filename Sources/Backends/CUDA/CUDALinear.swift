import CCUDA
@_spi(BackendImplementation) import Tensors

/// A fully connected layer on cuBLAS's sgemm (TF32 tensor cores with `--precision tf32`).
/// Row-major `[N, in]` inputs and PyTorch's `[out, in]` weights are column-major `in × N`
/// and `in × out` to cuBLAS, so y = x Wᵀ is the product Wᵀ·x there.
///
/// In bf16 cuBLAS multiplies in float32 on bf16 values (docs/precision.md, point 4): x, W, b
/// and dy are read as float32 copies of their values rounded to bf16, y and dx are rounded
/// once after they are computed; dW and db stay float32.
final class CUDALinear: LinearOp {
    let batch, inFeatures, outFeatures: Int
    let propagateDown: Bool
    private unowned let backend: CUDABackend

    init(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool, backend: CUDABackend) {
        self.batch = batch; self.inFeatures = inFeatures; self.outFeatures = outFeatures
        self.propagateDown = propagateDown
        self.backend = backend
    }

    private func f(_ t: Tensor) -> UnsafeMutablePointer<Float> { t.address.assumingMemoryBound(to: Float.self) }

    /// What the op reads of `t`: `t` itself, or in bf16 a float32 copy of its rounded values.
    private func read(_ t: Tensor, slot: Int) -> UnsafeMutablePointer<Float> {
        guard backend.roundsToBFloat16 else { return f(t) }
        return backend.bfloat16.rounded(t, into: slot).assumingMemoryBound(to: Float.self)
    }

    /// Rounds an output to bf16 in bf16.
    private func written(_ t: Tensor) {
        if backend.roundsToBFloat16 { backend.bfloat16.round(t.address, count: t.count) }
    }

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let (n, i, o) = (Int32(batch), Int32(inFeatures), Int32(outFeatures))
        let (xv, wv, bv) = (read(x, slot: 0), read(weight, slot: 1), read(bias, slot: 2))
        backend.sgemm(1, 0, o, n, i, 1, wv, i, xv, i, 0, f(y), o, "linear \(inFeatures)→\(outFeatures) forward")
        backend.kernels.biasAdd(elements: batch * outFeatures, y: y.address, b: UnsafeMutableRawPointer(bv), rows: batch, cols: outFeatures)
        written(y)
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        vgg_cuda_make_current()
        let (n, i, o) = (Int32(batch), Int32(inFeatures), Int32(outFeatures))
        let (xv, dyv) = (read(x, slot: 0), read(dy, slot: 2))
        // dW (in × out column-major) = x · dyᵀ
        backend.sgemm(0, 1, i, o, n, 1, xv, i, dyv, o, 0, f(dweight), i, "linear \(inFeatures)→\(outFeatures) weight gradient")
        backend.columnSums(UnsafeMutableRawPointer(dyv), rows: batch, cols: outFeatures, into: dbias.address)
        if propagateDown, let dx {
            // dx (in × N) = W · dy
            let wv = read(weight, slot: 1)
            backend.sgemm(0, 0, i, n, o, 1, wv, i, dyv, o, 0, f(dx), i, "linear \(inFeatures)→\(outFeatures) input gradient")
            written(dx)
        }
    }
}
