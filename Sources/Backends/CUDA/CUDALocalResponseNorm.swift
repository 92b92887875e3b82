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

    private var arguments: [KernelArgument] {
        [.long(shape.reduce(1, *)), .int(shape[1]), .int(parameters.size), .float(parameters.alpha), .float(parameters.beta), .float(parameters.k)]
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.lrn_forward, count: x.count, [.pointer(x.address), .pointer(y.address)] + arguments)
    }

    func backward(x: Tensor, dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.lrn_backward, count: x.count, [.pointer(x.address), .pointer(dy.address), .pointer(dx.address)] + arguments)
    }
}
