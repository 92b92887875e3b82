import CCUDA
@_spi(BackendImplementation) import Tensors

/// Batch normalisation over the channels of NHWC: per-channel sums in double (two-pass,
/// deterministic), then per-channel coefficients, then one element-wise pass. Synchronised
/// batch norm sends the sums through the host to the other processes and back.
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

    /// sums ← Σ over rows of the partials kernel's two columns per channel.
    private func reduce(_ kernel: CUDAKernels.Name, _ leading: [KernelArgument]) {
        let C = channels
        let (parts, perPart) = backend.partition(rows: rows)
        let partial = backend.reductionBuffer(doubles: parts * 2 * C)
        kernels.launch(kernel, grid: ((C + 31) / 32, parts, 1), block: (32, 8, 1),
                       leading + [.pointer(partial), .long(rows), .int(C), .long(perPart)])
        kernels.elementwise(.sum_partials, count: 2 * C, [.pointer(partial), .pointer(sums.address), .int(parts), .int(2 * C)])
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

    func forwardTraining(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                         synchronization: BatchNormSynchronization?) {
        vgg_cuda_make_current()
        reduce(.moment_partials, [.pointer(x.address)])
        var count = Double(rows)
        if let synchronization {
            count = synchronize(synchronization, withCount: true)
            synchronizedCount = count
        } else {
            synchronizedCount = nil
        }
        kernels.elementwise(.bn_forward_finalize, count: channels,
                            [.pointer(sums.address), .double(count), .float(epsilon), .float(momentum), .int(1),
                             .pointer(gamma.address), .pointer(beta.address), .pointer(runningMean.address), .pointer(runningVariance.address),
                             .pointer(mean.address), .pointer(invstd.address), .pointer(scale.address), .pointer(shift.address), .int(channels)])
        kernels.elementwise(.channel_affine, count: x.count,
                            [.pointer(x.address), .pointer(y.address), .pointer(scale.address), .pointer(shift.address), .long(x.count), .int(channels)])
    }

    func forwardInference(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor) {
        vgg_cuda_make_current()
        kernels.elementwise(.bn_inference_coefficients, count: channels,
                            [.pointer(gamma.address), .pointer(beta.address), .pointer(runningMean.address), .pointer(runningVariance.address),
                             .float(epsilon), .pointer(scale.address), .pointer(shift.address), .int(channels)])
        kernels.elementwise(.channel_affine, count: x.count,
                            [.pointer(x.address), .pointer(y.address), .pointer(scale.address), .pointer(shift.address), .long(x.count), .int(channels)])
    }

    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                  synchronization: BatchNormSynchronization?) {
        vgg_cuda_make_current()
        reduce(.bn_backward_partials, [.pointer(x.address), .pointer(dy.address), .pointer(mean.address)])
        // This process's share of dγ and dβ; the gradient synchronisation adds the shares up.
        kernels.elementwise(.bn_parameter_gradients, count: channels,
                            [.pointer(sums.address), .pointer(invstd.address), .pointer(dgamma.address), .pointer(dbeta.address), .int(channels)])
        var count = Double(rows)
        if let synchronization {
            guard synchronizedCount != nil else { preconditionFailure("synchronised backward after an ordinary forward") }
            count = synchronize(synchronization, withCount: false)
        }
        kernels.elementwise(.bn_backward_coefficients, count: channels,
                            [.pointer(sums.address), .pointer(mean.address), .pointer(invstd.address), .pointer(gamma.address),
                             .double(count), .pointer(a.address), .pointer(b.address), .pointer(d.address), .int(channels)])
        kernels.elementwise(.bn_backward_apply, count: x.count,
                            [.pointer(x.address), .pointer(dy.address), .pointer(dx.address), .pointer(a.address), .pointer(b.address),
                             .pointer(d.address), .long(x.count), .int(channels)])
    }
}
