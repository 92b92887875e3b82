/// Batch normalisation per channel over N, H and W (NHWC) with a learnable scale `gamma`
/// and shift `beta`, planned for one shape.
///
/// Training normalises with the batch mean and biased variance and updates the running
/// statistics as PyTorch does: `running ← (1 − momentum)·running + momentum·batch`, with
/// the unbiased variance (n/(n−1)) for `runningVariance`. Inference uses the running
/// statistics. The op keeps the batch statistics of its last training forward for `backward`.
///
/// Synchronised (`synchronization` given): the batch is one process's slice of a global
/// batch. The forward sums [count, Σx, Σx²] per channel over the processes and normalises
/// with the global mean and biased variance (E[x²] − E[x]², in double); the backward sums
/// [Σdy, Σdy·(x − μ)] so that dx is the global batch's, while dgamma and dbeta stay this
/// slice's share (the gradient synchronisation adds the shares up).
public protocol BatchNormOp: AnyObject {
    var epsilon: Float { get }
    func forwardTraining(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                         synchronization: BatchNormSynchronization?)
    func forwardInference(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor)
    /// dx, dgamma, dbeta (overwritten) of the last training forward, synchronised as it was.
    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                  synchronization: BatchNormSynchronization?)
}

/// Sums per-channel statistics over the processes sharing a batch: given this process's
/// numbers, returns every process's added up (synchronised BatchNorm).
public typealias BatchNormSynchronization = ([Double]) -> [Double]
