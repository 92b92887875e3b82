import CKernels
@_spi(BackendImplementation) import Tensors

/// Inverted dropout with Philox masks (`DropoutKey`) drawn by a C kernel on the OpenMP
/// threads; the mask (0 or 1/(1−p) per element) is kept for the backward pass.
final class DropoutKernel: DropoutOp {
    let shape: [Int]
    let probability: Float
    private let mask: Tensor

    init(shape: [Int], probability: Float) {
        self.shape = shape
        self.probability = probability
        mask = Tensor(shape: shape, on: HostMemory.shared)
    }

    func forward(x: Tensor, y: Tensor, key: DropoutKey) {
        let samples = shape[0], perSample = shape.dropFirst().reduce(1, *)
        let k = key.philoxKey
        vgg_dropout_forward(x.hostPointer, y.hostPointer, mask.hostPointer, samples, perSample, probability,
                            1 / (1 - probability), k[0], k[1], UInt32(truncatingIfNeeded: key.firstSample), key.step)
    }

    func backward(gradient: Tensor) {
        vgg_multiply_in_place(gradient.hostPointer, mask.hostPointer, gradient.count)
    }
}
