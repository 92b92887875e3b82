import CCUDA
@_spi(BackendImplementation) import Tensors

/// Max pooling on NHWC with PyTorch's tie and NaN rules; the winners of the forward are kept
/// (as spatial indices) and the backward gathers, per input, the gradients of the windows it
/// won, in window order (deterministic, no atomics). In bf16 the forward is the same (it
/// copies inputs, point 5); the backward reads dy as bf16 and rounds each sum of dx once
/// (`max_pool_backward_bf16`).
final class CUDAMaxPooling: MaxPoolingOp {
    let geometry: PoolingGeometry
    private let winners: Tensor
    private let kernels: CUDAKernels
    private unowned let backend: CUDABackend

    init(_ geometry: PoolingGeometry, backend: CUDABackend) {
        self.geometry = geometry
        self.backend = backend
        kernels = backend.kernels
        winners = Tensor(shape: [geometry.batch * geometry.channels * geometry.outHeight * geometry.outWidth], on: backend.memory)
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let g = geometry
        kernels.maxPoolForward(elements: winners.count, x: x.address, y: y.address, winner: winners.address, N: g.batch, C: g.channels,
                               H: g.height, W: g.width, OH: g.outHeight, OW: g.outWidth, k: g.kernel, stride: g.stride, pad: g.padding)
    }

    func backward(dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        let g = geometry
        if backend.roundsToBFloat16 {
            let scratch = backend.bfloat16
            let dyBits = scratch.load(dy, into: 1), dxBits = scratch.bits(2, count: dx.count)
            kernels.maxPoolBackwardBf16(elements: dx.count, dy: dyBits, winner: winners.address, dx: dxBits, N: g.batch, C: g.channels,
                                        H: g.height, W: g.width, OH: g.outHeight, OW: g.outWidth, k: g.kernel, stride: g.stride,
                                        pad: g.padding)
            scratch.store(dxBits, into: dx)
            return
        }
        kernels.maxPoolBackward(elements: dx.count, dy: dy.address, winner: winners.address, dx: dx.address, N: g.batch, C: g.channels,
                                H: g.height, W: g.width, OH: g.outHeight, OW: g.outWidth, k: g.kernel, stride: g.stride, pad: g.padding)
    }
}
