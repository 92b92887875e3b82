import CDNNL
import CKernels
import COpenBLAS
import Dispatch
import Foundation
import Synchronization
@_spi(BackendImplementation) import Tensors

/// The `cpu` backend: oneDNN's primitives (convolutions, pooling, LRN, batch norm, ReLU),
/// sgemm (oneDNN's or OpenBLAS's) for the fully connected layers, and hand-written C
/// kernels where no library fits (native Winograd, NHWC 2×2 max pooling, Philox dropout).
/// Tensors live in host memory (`HostMemory`). Its oneDNN engine and stream and its
/// scratch memory are its own; its settings are one `CPUBackendConfiguration`.
///
/// In bf16 (`configuration.precision`, docs/precision.md) every op rounds where the
/// `reference` backend's does (`BFloat16Rounding`): it reads its activation inputs, weights
/// and biases as rounded copies (the float32 masters untouched), computes with the float32
/// kernels (products of bf16 operands are exact in float32, the sums float32) and rounds its
/// outputs and activation-input gradients once. Weight and bias gradients, BatchNorm's
/// statistics, the soft-max probabilities, the loss and the SGD step stay float32. In fp32
/// nothing is copied or rounded.
public final class CPUBackend: Backend {
    public let configuration: CPUBackendConfiguration
    public var name: String { "cpu" }
    public var memory: any MemorySpace { HostMemory.shared }
    let context = DNNLContext()
    let scratch = ScratchBuffers()
    /// Where the ops round (nowhere in fp32).
    let rounding: BFloat16Rounding

    /// Sets the thread count of OpenMP and OpenBLAS to the configuration's.
    public init(configuration: CPUBackendConfiguration = CPUBackendConfiguration()) throws {
        try configuration.validate()
        self.configuration = configuration
        rounding = BFloat16Rounding(configuration.precision)
        omp_set_num_threads(Int32(configuration.threads))
        openblas_set_num_threads(Int32(configuration.threads))
    }

    public var settingsSummary: String {
        let c = configuration
        return "backend cpu, threads \(c.threads), oneDNN \(CPUFeatures.dnnlVersion), OpenBLAS core \(CPUFeatures.blasCore), "
            + "GEMM \(c.gemm.rawValue), convolutions \(c.convolutionAlgorithm.rawValue), Winograd \(c.winograd.rawValue), "
            + "precision \(c.precision.rawValue)"
    }

    public func synchronize() {}

    // MARK: planned ops

    public func makeConvolution(_ geometry: ConvolutionGeometry, propagateDown: Bool) throws -> any ConvolutionOp {
        try ConvolutionKernel(geometry, propagateDown: propagateDown, algorithm: configuration.convolutionAlgorithm,
                              winograd: configuration.winograd, context: context, scratch: scratch,
                              winogradScratchBytes: configuration.winogradScratchBytes, gemm: configuration.gemm,
                              rounding: rounding)
    }

    public func makeMaxPooling(_ geometry: PoolingGeometry) throws -> any MaxPoolingOp {
        try MaxPoolingKernel(geometry, context: context, rounding: rounding)
    }

    /// Odd sizes of at least 3 (VGG's A-LRN: 5): for even sizes oneDNN 2.6 sums a window of
    /// size − 1 channels (not PyTorch's), and sizes 1 and 2 crash inside it.
    public func makeLocalResponseNorm(shape: [Int], _ parameters: LocalResponseNormParameters) throws -> any LocalResponseNormOp {
        guard parameters.size >= 3 && parameters.size % 2 == 1 else {
            throw BackendError(operation: "local response normalisation of size \(parameters.size)",
                               problem: "the cpu backend runs odd sizes of at least 3 only (oneDNN's window differs from PyTorch's for even sizes); use --backend reference")
        }
        return try LRNKernel(shape: shape, parameters, context: context, rounding: rounding)
    }

    public func makeBatchNorm(shape: [Int], epsilon: Float) throws -> any BatchNormOp {
        try BatchNormKernel(shape: shape, epsilon: epsilon, context: context, rounding: rounding)
    }

    public func makeLinear(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool) throws -> any LinearOp {
        LinearKernel(batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, propagateDown: propagateDown,
                     gemm: configuration.gemm, rounding: rounding)
    }

    public func makeReLU(count: Int) throws -> any ReLUOp { try ReLUKernel(count: count, context: context) }

    public func makeDropout(shape: [Int], probability: Float) throws -> any DropoutOp {
        DropoutKernel(shape: shape, probability: probability, rounding: rounding)
    }

    public func makeAdaptiveAveragePool(inputShape: [Int], outHeight: Int, outWidth: Int) throws -> any AdaptiveAveragePoolOp {
        AdaptiveAveragePoolKernel(inputShape: inputShape, outHeight: outHeight, outWidth: outWidth, rounding: rounding)
    }

    // MARK: stateless ops

    public func permute(_ x: Tensor, into y: Tensor) {
        precondition(x.shape == y.shape && x.shape.count == 4, "permute \(x.shape) into \(y.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let hw = h * w
        let src = x.hostPointer, dst = y.hostPointer
        if x.layout == y.layout || c == 1 || hw == 1 { dst.update(from: src, count: x.count); return }
        if x.layout == .nchw {
            for b in 0..<n {
                let s = src + b * c * hw, d = dst + b * c * hw
                for ch in 0..<c {
                    let sc = s + ch * hw
                    for p in 0..<hw { d[p * c + ch] = sc[p] }
                }
            }
        } else {
            for b in 0..<n {
                let s = src + b * c * hw, d = dst + b * c * hw
                for p in 0..<hw {
                    let sp = s + p * c
                    for ch in 0..<c { d[ch * hw + p] = sp[ch] }
                }
            }
        }
    }

    /// In bf16 on the logits rounded (already bf16 in a network); the probabilities stay float32.
    public func softmax(_ logits: Tensor, into probabilities: Tensor) {
        rounding.reading(logits) { logits in
            let (n, k) = (logits.shape[0], logits.shape[1])
            for i in 0..<n { _ = softmaxRow(logits.hostPointer + i * k, count: k, into: probabilities.hostPointer + i * k) }
        }
    }

    /// In bf16 on the logits rounded; probabilities, loss and accuracy stay float32.
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Float, probabilities: Tensor, statistics: Tensor) {
        rounding.reading(logits) { logits in
            softmaxCrossEntropyFloat(logits: logits, labels: labels, labelSmoothing: labelSmoothing, probabilities: probabilities, statistics: statistics)
        }
    }

    private func softmaxCrossEntropyFloat(logits: Tensor, labels: Tensor, labelSmoothing: Float, probabilities: Tensor, statistics: Tensor) {
        let (n, k) = (logits.shape[0], logits.shape[1])
        let l = labels.hostPointer
        var total: Double = 0
        var correct = 0
        for i in 0..<n {
            let z = logits.hostPointer + i * k, p = probabilities.hostPointer + i * k
            let logSumExp = softmaxRow(z, count: k, into: p)
            let label = Int(l[i])
            precondition(label >= 0 && label < k, "label \(label) outside 0..<\(k)")
            total += Double((1 - labelSmoothing) * (logSumExp - z[label]))
            if labelSmoothing > 0 {
                var sum: Float = 0
                for j in 0..<k { sum += z[j] }
                total += Double(labelSmoothing * (logSumExp - sum / Float(k)))
            }
            var best = 0
            for j in 1..<max(k, 1) where p[j] > p[best] { best = j }
            if best == label { correct += 1 }
        }
        statistics.hostPointer[0] = Float(total / Double(max(n, 1)))
        statistics.hostPointer[1] = Float(correct)
    }

    public func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, labelSmoothing: Float, normalizer: Int, gradient: Tensor) {
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        let inv = 1 / Float(normalizer), uniform = labelSmoothing / Float(k)
        for i in 0..<n {
            let p = probabilities.hostPointer + i * k, g = gradient.hostPointer + i * k
            for j in 0..<k { g[j] = (p[j] - uniform) * inv }
            g[Int(labels.hostPointer[i])] -= (1 - labelSmoothing) * inv
        }
        rounding.write(gradient)   // bf16: the logits' gradient is an activation gradient (point 3)
    }

    /// Element-wise and independent per element, so split into chunks shared by the
    /// configuration's `threads` workers (not every core: `--threads` holds for the update too),
    /// each claiming the next chunk when done with one.
    public func sgdUpdate(_ u: SGDUpdate) {
        var chunks: [(offset: Int, count: Int, lr: Float, wd: Float)] = []
        let chunk = 1 << 16
        for s in u.segments {
            var o = 0
            while o < s.count {
                chunks.append((s.offset + o, min(chunk, s.count - o), s.learningRate, s.weightDecay))
                o += chunk
            }
        }
        let values = u.values.hostPointer, grads = u.gradients.hostPointer, buffers = u.momentumBuffer.hostPointer
        let mu = u.momentum, damp = 1 - u.dampening, nesterov = u.nesterov, first = u.isFirstStep
        let workers = max(1, min(configuration.threads, chunks.count))
        // Chunks are claimed one at a time, not dealt out in advance: a worker that starts late
        // (its core still held by the kernels' spinning OpenMP threads) leaves its share to the others.
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < chunks.count else { break }
                let c = chunks[k]
                let w = values + c.offset, g = grads + c.offset, b = buffers + c.offset
                let lr = c.lr, wd = c.wd
                if mu == 0 {
                    for i in 0..<c.count { w[i] -= lr * (g[i] + wd * w[i]) }
                    continue
                }
                for i in 0..<c.count {
                    let d = g[i] + wd * w[i]
                    let buf = first ? d : mu * b[i] + damp * d
                    b[i] = buf
                    w[i] -= lr * (nesterov ? d + mu * buf : buf)
                }
            }
        }
    }

    /// A vectorised C loop on oneDNN's OpenMP threads (`vgg_add_in_place`).
    public func add(_ x: Tensor, to y: Tensor) {
        precondition(x.count == y.count, "add of \(x.shape) to \(y.shape)")
        vgg_add_in_place(y.hostPointer, x.hostPointer, x.count)
    }
}

/// Writes the soft-max of one row of `k` scores into `p` and returns their log-sum-exp,
/// `log Σ_j exp z_j` (so that `-log p_y = logSumExp - z_y`).
@inline(__always)
func softmaxRow(_ z: UnsafePointer<Float>, count k: Int, into p: UnsafeMutablePointer<Float>) -> Float {
    var m = z[0]
    for j in 1..<max(k, 1) where z[j] > m { m = z[j] }
    var s: Float = 0
    for j in 0..<k { let e = expf(z[j] - m); p[j] = e; s += e }
    let inv = 1 / s
    for j in 0..<k { p[j] *= inv }
    return m + logf(s)
}
