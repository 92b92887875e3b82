import CCUDA
@_spi(BackendImplementation) import Tensors

/// Batch normalisation over the channels of NHWC: per-channel sums in double (two-pass,
/// deterministic), then per-channel coefficients, then one element-wise pass. Synchronised
/// batch norm sends the sums through the host to the other processes and back.
///
/// In bf16 x and dy are read as bf16 (the `_bf16` partial-sum and element-wise kernels), γ
/// and β through float32 copies of their rounded values; the sums, the batch and running
/// statistics, the coefficients and dγ, dβ stay float32 or double (point 6), and y and dx are
/// rounded once as they are written.
final class CUDABatchNorm: BatchNormOp {
    let epsilon: Float
    let shape: [Int]
    private unowned let backend: CUDABackend
    /// Doubles: sums (2C), mean (C), inverse standard deviation (C). Floats: scale, shift,
    /// and the backward's a, b, d (C each).
    private let sums, mean, invstd, scale, shift, a, b, d: Tensor
    private var synchronizedCount: Double?

    init(shape: [Int], epsilon: Float, backend: CUDABackend) {
        self.shape = shape
        self.epsilon = epsilon
        self.backend = backend
        let C = shape[1]
        let m = backend.memory
        sums = Tensor(shape: [4 * C], on: m)
        mean = Tensor(shape: [2 * C], on: m)
        invstd = Tensor(shape: [2 * C], on: m)
        (scale, shift, a, b, d) = (Tensor(shape: [C], on: m), Tensor(shape: [C], on: m), Tensor(shape: [C], on: m),
                                   Tensor(shape: [C], on: m), Tensor(shape: [C], on: m))
    }

    private var channels: Int { shape[1] }
    private var rows: Int { shape[0] * shape[2] * shape[3] }
    private var kernels: CUDAKernels { backend.kernels }

    /// sums ← Σ over rows of the two columns per channel that `launchPartials` writes, given the
    /// grid, the block, the partial buffer, the rows, the channels and the rows per part.
    private func reduce(_ launchPartials: ((Int, Int, Int), (Int, Int, Int), UnsafeMutableRawPointer, Int, Int, Int) -> Void) {
        let C = channels
        let (parts, perPart) = backend.partition(rows: rows)
        let partial = backend.reductionBuffer(doubles: parts * 2 * C)
        launchPartials(((C + 31) / 32, parts, 1), (32, 8, 1), partial, rows, C, perPart)
        kernels.sumPartials(elements: 2 * C, partial: partial, out: sums.address, parts: parts, width: 2 * C)
    }

    /// Replaces the device sums by their totals over the processes; returns the total count.
    private func synchronize(_ synchronization: BatchNormSynchronization, withCount: Bool) -> Double {
        let C = channels
        var local = [Double](repeating: 0, count: 2 * C)
        local.withUnsafeMutableBytes { backend.memory.copy(from: sums.storage, offset: 0, toHost: $0.baseAddress!, count: 4 * C) }
        let global = synchronization(withCount ? [Double(rows)] + local : local)
        let totals = withCount ? Array(global.dropFirst()) : global
        totals.withUnsafeBytes { backend.memory.copy(fromHost: $0.baseAddress!, to: sums.storage, offset: 0, count: 4 * C) }
        return withCount ? global[0] : synchronizedCount ?? Double(rows)
    }

    private var bf16: Bool { backend.roundsToBFloat16 }

    /// What the op reads of the parameter `t`: `t` itself, or in bf16 its rounded values.
    private func parameter(_ t: Tensor, slot: Int) -> UnsafeMutableRawPointer {
        bf16 ? backend.bfloat16.rounded(t, into: slot) : t.address
    }

    /// y = x·scale + shift per channel; in bf16 from x's bf16 values, y rounded.
    private func affine(x: Tensor, y: Tensor) {
        guard bf16 else {
            kernels.channelAffine(elements: x.count, x: x.address, y: y.address, scale: scale.address, shift: shift.address, n: x.count,
                                  C: channels)
            return
        }
        let scratch = backend.bfloat16
        let xBits = scratch.load(x, into: 1), yBits = scratch.bits(2, count: y.count)
        kernels.channelAffineBf16(elements: x.count, x: xBits, y: yBits, scale: scale.address, shift: shift.address, n: x.count, C: channels)
        scratch.store(yBits, into: y)
    }

    func forwardTraining(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                         synchronization: BatchNormSynchronization?) {
        vgg_cuda_make_current()
        if bf16 {
            let xBits = backend.bfloat16.load(x, into: 1)
            reduce { grid, block, partial, rows, C, perPart in
                kernels.momentPartialsBf16(grid: grid, block: block, x: xBits, partial: partial, rows: rows, cols: C, rowsPerPart: perPart)
            }
        } else {
            reduce { grid, block, partial, rows, C, perPart in
                kernels.momentPartials(grid: grid, block: block, x: x.address, partial: partial, rows: rows, cols: C, rowsPerPart: perPart)
            }
        }
        var count = Double(rows)
        if let synchronization {
            count = synchronize(synchronization, withCount: true)
            synchronizedCount = count
        } else {
            synchronizedCount = nil
        }
        kernels.bnForwardFinalize(elements: channels, sums: sums.address, count: count, epsilon: epsilon, momentum: momentum, updateRunning: 1,
                                  gamma: parameter(gamma, slot: 0), beta: parameter(beta, slot: 1), runningMean: runningMean.address,
                                  runningVariance: runningVariance.address, meanOut: mean.address, invstdOut: invstd.address,
                                  scale: scale.address, shift: shift.address, C: channels)
        affine(x: x, y: y)
    }

    func forwardInference(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor) {
        vgg_cuda_make_current()
        kernels.bnInferenceCoefficients(elements: channels, gamma: parameter(gamma, slot: 0), beta: parameter(beta, slot: 1),
                                        runningMean: runningMean.address, runningVariance: runningVariance.address, epsilon: epsilon,
                                        scale: scale.address, shift: shift.address, C: channels)
        affine(x: x, y: y)
    }

    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                  synchronization: BatchNormSynchronization?) {
        vgg_cuda_make_current()
        let scratch = backend.bfloat16
        let bits = bf16 ? (x: scratch.load(x, into: 1), dy: scratch.load(dy, into: 2)) : nil
        if let bits {
            reduce { grid, block, partial, rows, C, perPart in
                kernels.bnBackwardPartialsBf16(grid: grid, block: block, x: bits.x, dy: bits.dy, mean: mean.address, partial: partial,
                                               rows: rows, cols: C, rowsPerPart: perPart)
            }
        } else {
            reduce { grid, block, partial, rows, C, perPart in
                kernels.bnBackwardPartials(grid: grid, block: block, x: x.address, dy: dy.address, mean: mean.address, partial: partial,
                                           rows: rows, cols: C, rowsPerPart: perPart)
            }
        }
        // This process's share of dγ and dβ; the gradient synchronisation adds the shares up.
        kernels.bnParameterGradients(elements: channels, sums: sums.address, invstd: invstd.address, dgamma: dgamma.address,
                                     dbeta: dbeta.address, C: channels)
        var count = Double(rows)
        if let synchronization {
            guard synchronizedCount != nil else { preconditionFailure("synchronised backward after an ordinary forward") }
            count = synchronize(synchronization, withCount: false)
        }
        kernels.bnBackwardCoefficients(elements: channels, sums: sums.address, mean: mean.address, invstd: invstd.address,
                                       gamma: parameter(gamma, slot: 0), count: count, a: a.address, b: b.address, d: d.address, C: channels)
        if let bits {
            let dxBits = scratch.bits(3, count: dx.count)
            kernels.bnBackwardApplyBf16(elements: x.count, x: bits.x, dy: bits.dy, dx: dxBits, a: a.address, b: b.address, d: d.address,
                                        n: x.count, C: channels)
            scratch.store(dxBits, into: dx)
            return
        }
        kernels.bnBackwardApply(elements: x.count, x: x.address, dy: dy.address, dx: dx.address, a: a.address, b: b.address, d: d.address,
                                n: x.count, C: channels)
    }
}
