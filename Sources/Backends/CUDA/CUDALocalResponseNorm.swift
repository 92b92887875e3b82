import CCUDA
@_spi(BackendImplementation) import Tensors

/// Local response normalisation across the channels of NHWC (contiguous), in double
/// inside each element as the reference computes it.
final class CUDALocalResponseNorm: LocalResponseNormOp {
    let parameters: LocalResponseNormParameters
    let shape: [Int]
    private let kernels: CUDAKernels

    init(shape: [Int], _ parameters: LocalResponseNormParameters, backend: CUDABackend) {
        self.shape = shape
        self.parameters = parameters
        kernels = backend.kernels
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let p = parameters
        kernels.lrnForward(elements: x.count, x: x.address, y: y.address, n: shape.reduce(1, *), C: shape[1], size: p.size,
                           alpha: p.alpha, beta: p.beta, k: p.k)
    }

    func backward(x: Tensor, dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        let p = parameters
        kernels.lrnBackward(elements: x.count, x: x.address, dy: dy.address, dx: dx.address, n: shape.reduce(1, *), C: shape[1],
                            size: p.size, alpha: p.alpha, beta: p.beta, k: p.k)
    }
}
