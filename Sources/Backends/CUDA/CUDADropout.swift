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
        kernels.elementwise(.dropout_forward, count: groups,
                            [.pointer(x.address), .pointer(y.address), .pointer(mask.address), .long(samples), .long(perSample),
                             .float(probability), .float(1 / (1 - probability)), .uint32(k[0]), .uint32(k[1]),
                             .uint32(UInt32(truncatingIfNeeded: key.firstSample)), .uint64(key.step)])
    }

    func backward(gradient: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.multiply_in_place, count: gradient.count,
                            [.pointer(gradient.address), .pointer(mask.address), .long(gradient.count)])
    }
}
