import CCUDA
@_spi(BackendImplementation) import Tensors

/// ReLU in place on the device (NaN stays NaN).
final class CUDAReLU: ReLUOp {
    let count: Int
    private let kernels: CUDAKernels

    init(count: Int, kernels: CUDAKernels) { self.count = count; self.kernels = kernels }

    func forward(_ x: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.relu_forward, count: x.count, [.pointer(x.address), .long(x.count)])
    }

    func backward(output y: Tensor, gradient: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.relu_backward, count: y.count, [.pointer(y.address), .pointer(gradient.address), .long(y.count)])
    }
}
