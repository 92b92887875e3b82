import CCUDA
@_spi(BackendImplementation) import Tensors

/// Inverted dropout whose Philox masks (`DropoutKey`) are drawn on the device, bit for bit
/// those of the CPU backends; the mask is kept for the backward pass.
final class CUDADropout: DropoutOp {
    let shape: [Int]
    let probability: Float
    private let mask: Tensor
    private let kernels: CUDAKernels

    init(shape: [Int], probability: Float, backend: CUDABackend) {
        self.shape = shape
        self.probability = probability
        kernels = backend.kernels
        mask = Tensor(shape: shape, on: backend.memory)
    }

    func forward(x: Tensor, y: Tensor, key: DropoutKey) {
        vgg_cuda_make_current()
        let samples = shape[0], perSample = shape.dropFirst().reduce(1, *)
        let k = key.philoxKey
        let groups = samples * ((perSample + 3) / 4)
        kernels.dropoutForward(elements: groups, x: x.address, y: y.address, mask: mask.address, samples: samples, perSample: perSample,
                               p: probability, scale: 1 / (1 - probability), key0: k[0], key1: k[1],
                               firstSample: UInt32(truncatingIfNeeded: key.firstSample), step: key.step)
    }

    func backward(gradient: Tensor) {
        vgg_cuda_make_current()
        kernels.multiplyInPlace(elements: gradient.count, g: gradient.address, m: mask.address, n: gradient.count)
    }
}
