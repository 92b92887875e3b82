import CCUDA
@_spi(BackendImplementation) import Tensors

/// ReLU in place on the device (NaN stays NaN). The same kernels in bf16: the outputs are
/// inputs or zero (docs/precision.md, point 5), so nothing is rounded, as on the `reference`.
final class CUDAReLU: ReLUOp {
    let count: Int
    private let kernels: CUDAKernels

    init(count: Int, kernels: CUDAKernels) { self.count = count; self.kernels = kernels }

    func forward(_ x: Tensor) {
        vgg_cuda_make_current()
        kernels.reluForward(elements: x.count, x: x.address, n: x.count)
    }

    func backward(output y: Tensor, gradient: Tensor) {
        vgg_cuda_make_current()
        kernels.reluBackward(elements: y.count, y: y.address, g: gradient.address, n: y.count)
    }
}
