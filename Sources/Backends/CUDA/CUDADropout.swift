import CCUDA
@_spi(BackendImplementation) import Tensors

/// Inverted dropout whose Philox masks (`DropoutKey`) are drawn on the device, bit for bit
/// those of the CPU backends; the mask is kept for the backward pass. In bf16 x and the
/// gradient are read as bf16 and each product with the mask is rounded (points 3 and 5).
final class CUDADropout: DropoutOp {
    let shape: [Int]
    let probability: Float
    private let mask: Tensor
    private let kernels: CUDAKernels
    private unowned let backend: CUDABackend

    init(shape: [Int], probability: Float, backend: CUDABackend) {
        self.shape = shape
        self.probability = probability
        self.backend = backend
        kernels = backend.kernels
        mask = Tensor(shape: shape, on: backend.memory)
    }

    func forward(x: Tensor, y: Tensor, key: DropoutKey) {
        vgg_cuda_make_current()
        let samples = shape[0], perSample = shape.dropFirst().reduce(1, *)
        let k = key.philoxKey
        let groups = samples * ((perSample + 3) / 4)
        if backend.roundsToBFloat16 {
            let scratch = backend.bfloat16
            let xBits = scratch.load(x, into: 1), yBits = scratch.bits(2, count: y.count)
            kernels.dropoutForwardBf16(elements: groups, x: xBits, y: yBits, mask: mask.address, samples: samples, perSample: perSample,
                                       p: probability, scale: 1 / (1 - probability), key0: k[0], key1: k[1],
                                       firstSample: UInt32(truncatingIfNeeded: key.firstSample), step: key.step)
            scratch.store(yBits, into: y)
            return
        }
        kernels.dropoutForward(elements: groups, x: x.address, y: y.address, mask: mask.address, samples: samples, perSample: perSample,
                               p: probability, scale: 1 / (1 - probability), key0: k[0], key1: k[1],
                               firstSample: UInt32(truncatingIfNeeded: key.firstSample), step: key.step)
    }

    func backward(gradient: Tensor) {
        vgg_cuda_make_current()
        if backend.roundsToBFloat16 {
            let g = backend.bfloat16.load(gradient, into: 1)
            kernels.multiplyInPlaceBf16(elements: gradient.count, g: g, m: mask.address, n: gradient.count)
            backend.bfloat16.store(g, into: gradient)
            return
        }
        kernels.multiplyInPlace(elements: gradient.count, g: gradient.address, m: mask.address, n: gradient.count)
    }
}
