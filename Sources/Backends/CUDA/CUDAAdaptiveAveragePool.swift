import CCUDA
@_spi(BackendImplementation) import Tensors

/// Adaptive average pooling on NHWC with PyTorch's bins; the backward gathers per input.
final class CUDAAdaptiveAveragePool: AdaptiveAveragePoolOp {
    let inputShape: [Int]
    let outHeight: Int
    let outWidth: Int
    private let kernels: CUDAKernels

    init(inputShape: [Int], outHeight: Int, outWidth: Int, kernels: CUDAKernels) {
        self.inputShape = inputShape; self.outHeight = outHeight; self.outWidth = outWidth
        self.kernels = kernels
    }

    private var arguments: [KernelArgument] {
        [.int(inputShape[0]), .int(inputShape[1]), .int(inputShape[2]), .int(inputShape[3]), .int(outHeight), .int(outWidth)]
    }

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.adaptive_average_forward, count: inputShape[0] * inputShape[1] * outHeight * outWidth,
                            [.pointer(x.address), .pointer(y.address)] + arguments)
    }

    func backward(dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.adaptive_average_backward, count: dx.count, [.pointer(dy.address), .pointer(dx.address)] + arguments)
    }
}
