import ReferenceBackend
import Tensors

/// The reference backend with two faults planted, for checking that `BackendChecker` finds
/// them and goes on: fully connected layers cannot be planned (`makeLinear` throws) and the
/// soft-max writes nothing. Every other op is the reference's.
final class FaultyBackend: Backend {
    let base = ReferenceBackend(threads: 2)
    var name: String { "faulty" }
    var memory: any MemorySpace { base.memory }
    var settingsSummary: String { "the reference with faults" }
    func synchronize() {}

    func makeConvolution(_ geometry: ConvolutionGeometry, propagateDown: Bool) throws -> any ConvolutionOp {
        try base.makeConvolution(geometry, propagateDown: propagateDown)
    }
    func makeMaxPooling(_ geometry: PoolingGeometry) throws -> any MaxPoolingOp { try base.makeMaxPooling(geometry) }
    func makeLocalResponseNorm(shape: [Int], _ parameters: LocalResponseNormParameters) throws -> any LocalResponseNormOp {
        try base.makeLocalResponseNorm(shape: shape, parameters)
    }
    func makeBatchNorm(shape: [Int], epsilon: Float) throws -> any BatchNormOp { try base.makeBatchNorm(shape: shape, epsilon: epsilon) }
    func makeLinear(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool) throws -> any LinearOp {
        throw BackendError(operation: "linear \(batch)×\(inFeatures)→\(outFeatures)", problem: "planted fault")
    }
    func makeReLU(count: Int) throws -> any ReLUOp { try base.makeReLU(count: count) }
    func makeDropout(shape: [Int], probability: Float) throws -> any DropoutOp { try base.makeDropout(shape: shape, probability: probability) }
    func makeAdaptiveAveragePool(inputShape: [Int], outHeight: Int, outWidth: Int) throws -> any AdaptiveAveragePoolOp {
        try base.makeAdaptiveAveragePool(inputShape: inputShape, outHeight: outHeight, outWidth: outWidth)
    }

    func permute(_ x: Tensor, into y: Tensor) { base.permute(x, into: y) }
    func softmax(_ logits: Tensor, into probabilities: Tensor) {}
    func softmaxCrossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Float, probabilities: Tensor, statistics: Tensor) {
        base.softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing, probabilities: probabilities, statistics: statistics)
    }
    func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, labelSmoothing: Float, normalizer: Int, gradient: Tensor) {
        base.softmaxCrossEntropyBackward(probabilities: probabilities, labels: labels, labelSmoothing: labelSmoothing,
                                         normalizer: normalizer, gradient: gradient)
    }
    func sgdUpdate(_ update: SGDUpdate) { base.sgdUpdate(update) }
    func add(_ x: Tensor, to y: Tensor) { base.add(x, to: y) }
}
