/// Batch normalisation per channel over N, H and W (NHWC) with a learnable scale `gamma`
/// and shift `beta`, planned for one shape.
///
/// Training normalises with the batch mean and biased variance and updates the running
/// statistics as PyTorch does: `running ← (1 − momentum)·running + momentum·batch`, with
/// the unbiased variance (n/(n−1)) for `runningVariance`. Inference uses the running
/// statistics. The op keeps the batch statistics of its last training forward for `backward`.
public protocol BatchNormOp: AnyObject {
    var epsilon: Float { get }
    func forwardTraining(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float)
    func forwardInference(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor)
    /// dx, dgamma, dbeta (overwritten) of the last training forward.
    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor)
}
