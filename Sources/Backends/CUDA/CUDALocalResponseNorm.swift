import CCUDA
@_spi(BackendImplementation) import Tensors

/// Local response normalisation across the channels of NHWC (contiguous), in double
/// inside each element as the reference computes it. In bf16 x and dy are read as bf16 and y
/// and dx rounded once (`lrn_forward_bf16`, `lrn_backward_bf16`).
final class CUDALocalResponseNorm: LocalResponseNormOp {
    let parameters: LocalResponseNormParameters
    let shape: [Int]
    private let kernels: CUDAKernels
    private unowned let backend: CUDABackend

    init(shape: [Int], _ parameters: LocalResponseNormParameters, backend: CUDABackend) {
        self.shape = shape
        self.parameters = parameters
        self.backend = backend
        kernels = backend.kernels
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let p = parameters
        if backend.roundsToBFloat16 {
            let scratch = backend.bfloat16
            let xBits = scratch.load(x, into: 1), yBits = scratch.bits(2, count: y.count)
            kernels.lrnForwardBf16(elements: x.count, x: xBits, y: yBits, n: shape.reduce(1, *), C: shape[1], size: p.size,
                                   alpha: p.alpha, beta: p.beta, k: p.k)
            scratch.store(yBits, into: y)
            return
        }
        kernels.lrnForward(elements: x.count, x: x.address, y: y.address, n: shape.reduce(1, *), C: shape[1], size: p.size,
                           alpha: p.alpha, beta: p.beta, k: p.k)
    }

    func backward(x: Tensor, dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        let p = parameters
        if backend.roundsToBFloat16 {
            let scratch = backend.bfloat16
            let xBits = scratch.load(x, into: 1), dyBits = scratch.load(dy, into: 2), dxBits = scratch.bits(3, count: dx.count)
            kernels.lrnBackwardBf16(elements: x.count, x: xBits, dy: dyBits, dx: dxBits, n: shape.reduce(1, *), C: shape[1],
                                    size: p.size, alpha: p.alpha, beta: p.beta, k: p.k)
            scratch.store(dxBits, into: dx)
            return
        }
        kernels.lrnBackward(elements: x.count, x: x.address, dy: dy.address, dx: dx.address, n: shape.reduce(1, *), C: shape[1],
                            size: p.size, alpha: p.alpha, beta: p.beta, k: p.k)
    }
}
