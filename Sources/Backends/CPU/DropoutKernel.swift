import CKernels
@_spi(BackendImplementation) import Tensors

/// Inverted dropout with Philox masks (`DropoutKey`) drawn by a C kernel on the OpenMP
/// threads; the mask (0 or 1/(1−p) per element) is kept for the backward pass. In bf16 it
/// reads x rounded and rounds y; the backward rounds the incoming gradient, multiplies and
/// rounds the product (the scale's product is not a bf16 value, point 5 of `Precision`).
final class DropoutKernel: DropoutOp {
    let shape: [Int]
    let probability: Float
    private let mask: Tensor
    private let rounding: BFloat16Rounding

    init(shape: [Int], probability: Float, rounding: BFloat16Rounding) {
        self.rounding = rounding
        self.shape = shape
        self.probability = probability
        mask = Tensor(shape: shape, on: HostMemory.shared)
    }

    func forward(x: Tensor, y: Tensor, key: DropoutKey) {
        let samples = shape[0], perSample = shape.dropFirst().reduce(1, *)
        let k = key.philoxKey
        rounding.reading(x) { x in
            vgg_dropout_forward(x.hostPointer, y.hostPointer, mask.hostPointer, samples, perSample, probability,
                                1 / (1 - probability), k[0], k[1], UInt32(truncatingIfNeeded: key.firstSample), key.step)
        }
        rounding.write(y)
    }

    func backward(gradient: Tensor) {
        rounding.write(gradient)   // the incoming gradient as read (already bf16 in a network)
        vgg_multiply_in_place(gradient.hostPointer, mask.hostPointer, gradient.count)
        rounding.write(gradient)
    }
}
