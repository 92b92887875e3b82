import CCUDA
@_spi(BackendImplementation) import Tensors

/// Adaptive average pooling on NHWC with PyTorch's bins; the backward gathers per input. In
/// bf16 the float32 kernels (sums in double) read a float32 copy of the rounded x or dy, and
/// y or dx is rounded once afterwards.
final class CUDAAdaptiveAveragePool: AdaptiveAveragePoolOp {
    let inputShape: [Int]
    let outHeight: Int
    let outWidth: Int
    private let kernels: CUDAKernels
    private unowned let backend: CUDABackend

    init(inputShape: [Int], outHeight: Int, outWidth: Int, backend: CUDABackend) {
        self.inputShape = inputShape; self.outHeight = outHeight; self.outWidth = outWidth
        self.backend = backend
        kernels = backend.kernels
    }

    /// What the op reads of `t`: `t` itself, or in bf16 a float32 copy of its rounded values.
    private func read(_ t: Tensor) -> UnsafeMutableRawPointer {
        backend.roundsToBFloat16 ? backend.bfloat16.rounded(t, into: 0) : t.address
    }

    /// Rounds an output to bf16 in bf16.
    private func written(_ t: Tensor) {
        if backend.roundsToBFloat16 { backend.bfloat16.round(t.address, count: t.count) }
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let s = inputShape
        kernels.adaptiveAverageForward(elements: s[0] * s[1] * outHeight * outWidth, x: read(x), y: y.address,
                                       N: s[0], C: s[1], H: s[2], W: s[3], OH: outHeight, OW: outWidth)
        written(y)
    }

    func backward(dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        let s = inputShape
        kernels.adaptiveAverageBackward(elements: dx.count, dy: read(dy), dx: dx.address,
                                        N: s[0], C: s[1], H: s[2], W: s[3], OH: outHeight, OW: outWidth)
        written(dx)
    }
}
