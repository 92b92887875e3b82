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

    private var arguments: [KernelArgument] {
        let g = geometry
        return [.int(g.batch), .int(g.channels), .int(g.height), .int(g.width), .int(g.outHeight), .int(g.outWidth),
                .int(g.kernel), .int(g.stride), .int(g.padding)]
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.max_pool_forward, count: winners.count, [.pointer(x.address), .pointer(y.address), .pointer(winners.address)] + arguments)
    }

    func backward(dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.max_pool_backward, count: dx.count, [.pointer(dy.address), .pointer(winners.address), .pointer(dx.address)] + arguments)
    }
}
