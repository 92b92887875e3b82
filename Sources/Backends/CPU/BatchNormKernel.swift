import CDNNL
import CKernels
@_spi(BackendImplementation) import Tensors

/// Batch normalisation over N, H, W per channel (NHWC) on oneDNN, with learnable scale and
/// shift; the running statistics are updated here after each training forward (PyTorch's
/// rule, see `BatchNormOp`). In bf16 it reads x, dy, γ and β rounded and rounds y and dx
/// (`BFloat16Rounding`); the statistics and dγ, dβ stay float32.
final class BatchNormKernel: BatchNormOp {
    let epsilon: Float
    /// Values per channel (N·H·W).
    let count: Int
    private let channels: Int
    private let trainPrimitive: DNNLPrimitive
    private let inferencePrimitive: DNNLPrimitive
    private let backwardPrimitive: DNNLPrimitive
    private let src, dst, diffSrc, diffDst, scale, shift, diffScale, diffShift, mean, variance: DNNLMemory
    /// The last training forward's batch statistics.
    private var batchMean, batchVariance: [Float]
    /// The last synchronised forward's global mean and 1/√(σ² + ε) (nil after an ordinary one).
    private var synchronized: (mean: [Float], invstd: [Float], count: Double)?
    private let rounding: BFloat16Rounding

    init(shape s: [Int], epsilon: Float, context: DNNLContext, rounding: BFloat16Rounding) throws {
        self.epsilon = epsilon
        self.rounding = rounding
        count = s[0] * s[2] * s[3]
        channels = s[1]
        batchMean = [Float](repeating: 0, count: s[1])
        batchVariance = [Float](repeating: 1, count: s[1])
        var md = try makeMemoryDesc(s, dnnl_nhwc)
        let flags = UInt32(dnnl_use_scale.rawValue | dnnl_use_shift.rawValue)
        var td = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&td, dnnl_forward_training, &md, epsilon, flags), "batch norm forward")
        let tp = try withUnsafePointer(to: &td) { try DNNLPrimitive(opDesc: $0, context: context, what: "batch norm forward") }
        trainPrimitive = tp
        var id = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&id, dnnl_forward_inference, &md, epsilon,
                                                                 flags | UInt32(dnnl_use_global_stats.rawValue)), "batch norm inference")
        inferencePrimitive = try withUnsafePointer(to: &id) { try DNNLPrimitive(opDesc: $0, context: context, what: "batch norm inference") }
        var bd = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &md, &md, epsilon, flags), "batch norm backward")
        backwardPrimitive = try withUnsafePointer(to: &bd) {
            try DNNLPrimitive(opDesc: $0, context: context, hint: tp, what: "batch norm backward")
        }
        let cmd = try makeMemoryDesc([s[1]], dnnl_x)
        src = try DNNLMemory(md, context: context); dst = try DNNLMemory(md, context: context)
        diffSrc = try DNNLMemory(md, context: context); diffDst = try DNNLMemory(md, context: context)
        scale = try DNNLMemory(cmd, context: context); shift = try DNNLMemory(cmd, context: context)
        diffScale = try DNNLMemory(cmd, context: context); diffShift = try DNNLMemory(cmd, context: context)
        mean = try DNNLMemory(cmd, context: context); variance = try DNNLMemory(cmd, context: context)
    }

    func forwardTraining(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                         synchronization: BatchNormSynchronization?) {
        rounding.reading(x, gamma, beta) { x, gamma, beta in
            forwardTrainingFloat(x: x, gamma: gamma, beta: beta, y: y, runningMean: runningMean, runningVariance: runningVariance,
                                 momentum: momentum, synchronization: synchronization)
        }
        rounding.write(y)
    }

    private func forwardTrainingFloat(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                                      runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                                      synchronization: BatchNormSynchronization?) {
        if let synchronization {
            return synchronizedForward(x: x, gamma: gamma, beta: beta, y: y, runningMean: runningMean, runningVariance: runningVariance,
                                       momentum: momentum, synchronization: synchronization)
        }
        synchronized = nil
        src.bind(x); dst.bind(y); scale.bind(gamma); shift.bind(beta)
        batchMean.withUnsafeMutableBytes { m in
            batchVariance.withUnsafeMutableBytes { v in
                mean.bind(m.baseAddress!); variance.bind(v.baseAddress!)
                trainPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                        (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance)])
            }
        }
        let n = Float(count)
        let unbias = n > 1 ? n / (n - 1) : 1
        let rm = runningMean.hostPointer, rv = runningVariance.hostPointer
        for c in 0..<channels {
            rm[c] = (1 - momentum) * rm[c] + momentum * batchMean[c]
            rv[c] = (1 - momentum) * rv[c] + momentum * batchVariance[c] * unbias
        }
    }

    func forwardInference(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor) {
        rounding.reading(x, gamma, beta) { x, gamma, beta in
            src.bind(x); dst.bind(y); scale.bind(gamma); shift.bind(beta); mean.bind(runningMean); variance.bind(runningVariance)
            inferencePrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                        (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance)])
        }
        rounding.write(y)
    }

    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                  synchronization: BatchNormSynchronization?) {
        rounding.reading(x, gamma, dy) { x, gamma, dy in
            backwardFloat(x: x, gamma: gamma, beta: beta, dy: dy, dx: dx, dgamma: dgamma, dbeta: dbeta, synchronization: synchronization)
        }
        rounding.write(dx)
    }

    private func backwardFloat(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                               synchronization: BatchNormSynchronization?) {
        if let synchronization {
            return synchronizedBackward(x: x, gamma: gamma, dy: dy, dx: dx, dgamma: dgamma, dbeta: dbeta, synchronization: synchronization)
        }
        src.bind(x); scale.bind(gamma); shift.bind(beta)
        diffDst.bind(dy); diffSrc.bind(dx); diffScale.bind(dgamma); diffShift.bind(dbeta)
        batchMean.withUnsafeMutableBytes { m in
            batchVariance.withUnsafeMutableBytes { v in
                mean.bind(m.baseAddress!); variance.bind(v.baseAddress!)
                backwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
                                           (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                           (DNNL_ARG_DIFF_SRC, diffSrc), (DNNL_ARG_DIFF_SCALE, diffScale), (DNNL_ARG_DIFF_SHIFT, diffShift)])
            }
        }
    }

    // MARK: synchronised over processes (C kernels: sums, then element-wise passes)

    private func synchronizedForward(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor,
                                     momentum: Float, synchronization: BatchNormSynchronization) {
        let C = channels
        var sum = [Double](repeating: 0, count: C), squares = [Double](repeating: 0, count: C)
        vgg_bn_sums(x.hostPointer, count, Int32(C), &sum, &squares)
        let global = synchronization([Double(count)] + sum + squares)
        let n = global[0]
        var mean = [Float](repeating: 0, count: C), invstd = [Float](repeating: 0, count: C)
        let rm = runningMean.hostPointer, rv = runningVariance.hostPointer
        let unbias = n > 1 ? n / (n - 1) : 1
        for c in 0..<C {
            let mu = global[1 + c] / n, variance = max(global[1 + C + c] / n - mu * mu, 0)
            mean[c] = Float(mu)
            invstd[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
            rm[c] = (1 - momentum) * rm[c] + momentum * Float(mu)
            rv[c] = (1 - momentum) * rv[c] + momentum * Float(variance * unbias)
        }
        vgg_bn_normalize(x.hostPointer, y.hostPointer, count, Int32(C), mean, invstd, gamma.hostPointer, beta.hostPointer)
        synchronized = (mean, invstd, n)
    }

    private func synchronizedBackward(x: Tensor, gamma: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                                      synchronization: BatchNormSynchronization) {
        guard let (mean, invstd, n) = synchronized else { preconditionFailure("synchronised backward after an ordinary forward") }
        let C = channels
        var sumDy = [Double](repeating: 0, count: C), sumDyXc = [Double](repeating: 0, count: C)
        vgg_bn_backward_sums(dy.hostPointer, x.hostPointer, count, Int32(C), mean, &sumDy, &sumDyXc)
        let dg = dgamma.hostPointer, db = dbeta.hostPointer
        for c in 0..<C { db[c] = Float(sumDy[c]); dg[c] = Float(sumDyXc[c] * Double(invstd[c])) }
        let global = synchronization(sumDy + sumDyXc)
        var a = [Float](repeating: 0, count: C), b = [Float](repeating: 0, count: C)
        for c in 0..<C {
            a[c] = Float(global[c] / n)
            b[c] = Float(Double(invstd[c]) * Double(invstd[c]) * global[C + c] / n)
        }
        vgg_bn_input_gradient(dy.hostPointer, x.hostPointer, dx.hostPointer, count, Int32(C), mean, invstd, gamma.hostPointer, a, b)
    }
}
