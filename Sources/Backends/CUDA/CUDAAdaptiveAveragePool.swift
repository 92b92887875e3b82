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

    func forward(x: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let s = inputShape
        kernels.adaptiveAverageForward(elements: s[0] * s[1] * outHeight * outWidth, x: x.address, y: y.address,
                                       N: s[0], C: s[1], H: s[2], W: s[3], OH: outHeight, OW: outWidth)
    }

    func backward(dy: Tensor, dx: Tensor) {
        vgg_cuda_make_current()
        let s = inputShape
        kernels.adaptiveAverageBackward(elements: dx.count, dy: dy.address, dx: dx.address,
                                        N: s[0], C: s[1], H: s[2], W: s[3], OH: outHeight, OW: outWidth)
    }
}
