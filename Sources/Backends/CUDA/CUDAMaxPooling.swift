import CCUDA
@_spi(BackendImplementation) import Tensors

/// Max pooling on NHWC with PyTorch's tie and NaN rules; the winners of the forward are kept
/// (as spatial indices) and the backward gathers, per input, the gradients of the windows it
/// won, in window order (deterministic, no atomics).
final class CUDAMaxPooling: MaxPoolingOp {
    let geometry: PoolingGeometry
    private let winners: Tensor
    private let kernels: CUDAKernels

    init(_ geometry: PoolingGeometry, backend: CUDABackend) {
        self.geometry = geometry
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
        kernels.maxPoolBackward(elements: dx.count, dy: dy.address, winner: winners.address, dx: dx.address, N: g.batch, C: g.channels,
                                H: g.height, W: g.width, OH: g.outHeight, OW: g.outWidth, k: g.kernel, stride: g.stride, pad: g.padding)
    }
}
