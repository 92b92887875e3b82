/// Everything a network asks of the machine that runs it: memory (`memory`) and every op,
/// forward and backward. Layers, networks, optimizers and the trainer are written against
/// this protocol only; the `cpu` backend (oneDNN, sgemm, hand-written C kernels), the
/// `reference` backend (plain Swift loops, the tests' oracle) and a CUDA backend implement it.
///
/// Granularity: ops that keep state or want planning (library primitives, algorithm
/// choice, scratch memory, masks and statistics kept for the backward pass) are created
/// once per shape by a `make…` call and run every step; stateless ones are calls. Every op
/// reads and writes tensors in the backend's memory, so a device backend keeps weights,
/// gradients, momentum and activations on the device between steps, and may replace a
/// planned op by a fused kernel behind the same call.
///
/// Ops may run asynchronously: results are guaranteed on the host only after an explicit
/// copy (`Tensor.toArray()`), which waits for them.
public protocol Backend: AnyObject {
    /// `cpu`, `reference`, `cuda`.
    var name: String { get }
    /// Where this backend's tensors live.
    var memory: any MemorySpace { get }
    /// One line naming the backend and its settings (threads, libraries, algorithms), for logs.
    var settingsSummary: String { get }
    /// Waits until every op issued so far has finished (timing; a no-op for synchronous backends).
    func synchronize()

    // MARK: planned ops (one per layer and shape)

    func makeConvolution(_ geometry: ConvolutionGeometry, propagateDown: Bool) throws -> any ConvolutionOp
    func makeMaxPooling(_ geometry: PoolingGeometry) throws -> any MaxPoolingOp
    /// `shape` is `[N, C, H, W]`.
    func makeLocalResponseNorm(shape: [Int], _ parameters: LocalResponseNormParameters) throws -> any LocalResponseNormOp
    /// `shape` is `[N, C, H, W]`.
    func makeBatchNorm(shape: [Int], epsilon: Float) throws -> any BatchNormOp
    func makeLinear(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool) throws -> any LinearOp
    func makeReLU(count: Int) throws -> any ReLUOp
    /// `shape` is `[N, …]`: N samples of `shape.dropFirst()` elements each.
    func makeDropout(shape: [Int], probability: Float) throws -> any DropoutOp
    /// `inputShape` is `[N, C, H, W]`.
    func makeAdaptiveAveragePool(inputShape: [Int], outHeight: Int, outWidth: Int) throws -> any AdaptiveAveragePoolOp

    // MARK: stateless ops

    /// Writes `x` into `y` (same logical shape, 4-D) in `y`'s layout.
    func permute(_ x: Tensor, into y: Tensor)
    /// Row-wise soft-max of `[N, K]` scores.
    func softmax(_ logits: Tensor, into probabilities: Tensor)
    /// Soft-max cross-entropy of `[N, K]` logits against `[N]` labels (class indices stored
    /// as floats), with label smoothing ε as PyTorch's `F.cross_entropy(label_smoothing:)`:
    /// writes the soft-max into `probabilities` and, into the 2-element `statistics`, the
    /// mean loss and the number of samples whose highest probability (first on ties) is
    /// their label.
    func softmaxCrossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Float, probabilities: Tensor, statistics: Tensor)
    /// The gradient with respect to the logits (overwritten) of the loss summed over the batch
    /// and divided by `normalizer`: the batch size for its mean loss, the global batch size
    /// when the batch is one process's slice of it.
    func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, labelSmoothing: Float, normalizer: Int, gradient: Tensor)
    /// One optimizer step over flat buffers (see `SGDUpdate`).
    func sgdUpdate(_ update: SGDUpdate)
    /// `y ← y + x`, in place, element by element in memory order (same count): one rounded
    /// float32 addition per element, so every backend gives the same bits, and (addition being
    /// commutative) the same as `x ← x + y` would. The fixed summation tree of
    /// `vgg train --reproducible` is made of these.
    func add(_ x: Tensor, to y: Tensor)
}
