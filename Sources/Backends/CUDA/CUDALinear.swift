import CCUDA
@_spi(BackendImplementation) import Tensors

/// A fully connected layer on cuBLAS's sgemm (TF32 tensor cores with `--precision tf32`).
/// Row-major `[N, in]` inputs and PyTorch's `[out, in]` weights are column-major `in × N`
/// and `in × out` to cuBLAS, so y = x Wᵀ is the product Wᵀ·x there.
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

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let (n, i, o) = (Int32(batch), Int32(inFeatures), Int32(outFeatures))
        backend.sgemm(1, 0, o, n, i, 1, f(weight), i, f(x), i, 0, f(y), o, "linear \(inFeatures)→\(outFeatures) forward")
        backend.kernels.biasAdd(elements: batch * outFeatures, y: y.address, b: bias.address, rows: batch, cols: outFeatures)
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        vgg_cuda_make_current()
        let (n, i, o) = (Int32(batch), Int32(inFeatures), Int32(outFeatures))
        // dW (in × out column-major) = x · dyᵀ
        backend.sgemm(0, 1, i, o, n, 1, f(x), i, f(dy), o, 0, f(dweight), i, "linear \(inFeatures)→\(outFeatures) weight gradient")
        backend.columnSums(dy.address, rows: batch, cols: outFeatures, into: dbias.address)
        if propagateDown, let dx {
            // dx (in × N) = W · dy
            backend.sgemm(0, 0, i, n, o, 1, f(weight), i, f(dy), o, 0, f(dx), i, "linear \(inFeatures)→\(outFeatures) input gradient")
        }
    }
}
