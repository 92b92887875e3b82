import CCUDA
import Foundation
@_spi(BackendImplementation) import Tensors

/// The `cuda` backend: one NVIDIA GPU through cuDNN (convolutions), cuBLAS (fully connected
/// layers) and kernels of its own compiled at start by NVRTC (everything else), all loaded
/// at run time. Weights, gradients, momentum, activations and statistics stay in device
/// memory; the host sends the input batch and labels (through pinned buffers, without
/// waiting) and reads back only what it asks for (the loss statistics, checkpoints).
///
/// Ops are queued on one stream and run asynchronously; `synchronize()` waits for them.
/// Creating a backend on a machine without a GPU, driver or these libraries throws an
/// error naming what is missing.
public final class CUDABackend: Backend {
    public let configuration: CUDABackendConfiguration
    /// What the driver reported about the device and the libraries' versions.
    public let deviceName: String
    public let computeCapability: (major: Int, minor: Int)
    public let versions: String
    /// The GPU's memory; nil on an emulated device, whose memory is the host's.
    let cudaMemory: CUDAMemory?
    private let deviceMemory: any MemorySpace
    let kernels: CUDAKernels
    /// What stands in for the GPU when the op classes run on the host emulation of the kernels
    /// (tests only); nil on a GPU.
    let emulatedDevice: CUDAEmulatedDevice?
    /// cuDNN's choice for one convolution shape: per direction the algorithm (+ 100 × math
    /// type) and its workspace bytes.
    struct ConvolutionChoice {
        var algorithms: [Int32]
        var workspaces: [Int]
    }
    /// Algorithms chosen by cuDNN's search, per convolution shape (shared by layers of one shape).
    var convolutionAlgorithms: [ConvolutionGeometry: ConvolutionChoice] = [:]
    private var workspace: Tensor?
    private var reductionScratch: Tensor?
    /// Where the ops read and write bf16 values in bf16 (unused in fp32 and tf32).
    private(set) lazy var bfloat16 = CUDABFloat16Scratch(backend: self)
    /// Whether the ops round to bf16 at the points of `Precision` (`--precision bf16`).
    var roundsToBFloat16: Bool { configuration.precision == .bf16 }
    private let totalMemory: Int

    public init(configuration: CUDABackendConfiguration = CUDABackendConfiguration()) throws {
        var info = vgg_cuda_device_info()
        guard vgg_cuda_open(Int32(configuration.device), &info) == 0 else {
            throw BackendError(operation: "cuda backend", problem: cudaLastError())
        }
        self.configuration = configuration
        deviceName = withUnsafeBytes(of: info.name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        computeCapability = (Int(info.major), Int(info.minor))
        totalMemory = info.total_memory
        func dotted(_ v: Int32, _ scale: Int32 = 1000) -> String { "\(v / scale).\((v % scale) / 10)" }
        let cudnn = Int(info.cudnn_version)
        versions = "driver CUDA \(dotted(info.driver_version)), cuDNN \(cudnn / 10000).\((cudnn % 10000) / 100).\(cudnn % 100), "
            + "cuBLAS \(info.cublas_version / 10000).\((info.cublas_version % 10000) / 100), NVRTC \(info.nvrtc_major).\(info.nvrtc_minor)"
        let memory = CUDAMemory(ordinal: configuration.device)
        cudaMemory = memory
        deviceMemory = memory
        emulatedDevice = nil
        do { kernels = try CUDAKernels() } catch { throw BackendError(operation: "cuda backend", problem: "\(error)") }
        // TF32 tensor cores only for tf32: bf16 runs cuBLAS and cuDNN in float32 on bf16 values.
        cudaCheck(vgg_cublas_set_math(configuration.precision == .tf32 ? 1 : 0), "setting cuBLAS's math mode")
    }

    /// The backend's op classes and grids on an emulated device: every kernel launch goes to
    /// `device.launch` (the host emulation of the `.cu` kernels), tensors live in host memory,
    /// cuDNN and cuBLAS are `device`'s stand-ins. fp32 or bf16 (the stand-ins compute in
    /// float32; tf32 is refused: they have no TF32 arithmetic). For the tests: internal, and no
    /// `--backend` name reaches it.
    init(emulatedDevice device: CUDAEmulatedDevice, precision: Precision = .fp32) {
        precondition(precision != .tf32, "the emulated device has no TF32 arithmetic")
        configuration = CUDABackendConfiguration(precision: precision)
        deviceName = "emulated device"
        computeCapability = (0, 0)
        versions = device.description
        totalMemory = 0
        cudaMemory = nil
        deviceMemory = HostMemory.shared
        emulatedDevice = device
        kernels = CUDAKernels(emulatedBy: device)
    }

    public var name: String { emulatedDevice == nil ? "cuda" : "cuda-emulated" }
    public var memory: any MemorySpace { deviceMemory }
    public var settingsSummary: String {
        if emulatedDevice != nil { return "backend cuda-emulated (tests only): \(versions), precision \(configuration.precision.rawValue)" }
        return "backend cuda: \(deviceName) (sm_\(computeCapability.major)\(computeCapability.minor), \(totalMemory >> 30) GiB), \(versions), precision \(configuration.precision.rawValue)"
            + (roundsToBFloat16 ? " (bf16 values in float32 tensors; cuDNN and cuBLAS in float32 on them)" : "")
    }
    public func synchronize() {
        guard emulatedDevice == nil else { return }
        vgg_cuda_make_current()
        cudaCheck(vgg_cuda_synchronize(), "synchronising the stream")
    }

    /// Device memory held by this backend's tensors and scratch now, and at most so far.
    public var bytesHeld: Int { cudaMemory?.bytesHeld ?? 0 }
    public var peakBytesHeld: Int { cudaMemory?.peakBytesHeld ?? 0 }

    /// cuBLAS's sgemm (column-major), or the emulated device's stand-in.
    func sgemm(_ transposeA: Int32, _ transposeB: Int32, _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Float,
               _ a: UnsafeMutablePointer<Float>, _ lda: Int32, _ b: UnsafeMutablePointer<Float>, _ ldb: Int32, _ beta: Float,
               _ c: UnsafeMutablePointer<Float>, _ ldc: Int32, _ what: @autoclosure () -> String) {
        if let device = emulatedDevice {
            device.sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        cudaCheck(vgg_cublas_sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), what())
    }

    // MARK: scratch

    /// A device buffer of at least `bytes` shared by the ops (one stream: one op at a time).
    func workspace(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes > 0 else { return nil }
        if let w = workspace, w.count * 4 >= bytes { return w.address }
        if workspace != nil { synchronize() }
        workspace = nil
        workspace = Tensor(shape: [(bytes + 3) / 4], on: deviceMemory)
        return workspace!.address
    }

    /// Scratch for the partial sums of a reduction, separate from the convolution workspace.
    func reductionBuffer(doubles: Int) -> UnsafeMutableRawPointer {
        if let r = reductionScratch, r.count >= 2 * doubles { return r.address }
        if reductionScratch != nil { synchronize() }
        reductionScratch = nil
        reductionScratch = Tensor(shape: [2 * max(doubles, 1)], on: deviceMemory)
        return reductionScratch!.address
    }

    /// How the rows of a [rows, cols] reduction are split among blocks.
    func partition(rows: Int) -> (parts: Int, rowsPerPart: Int) {
        let parts = max(1, min(512, rows / 256))
        return (parts, (rows + parts - 1) / parts)
    }

    /// out[c] = Σ_r a[r, c] (float), deterministic.
    func columnSums(_ a: UnsafeMutableRawPointer, rows: Int, cols: Int, into out: UnsafeMutableRawPointer) {
        let (parts, perPart) = partition(rows: rows)
        let partial = reductionBuffer(doubles: parts * cols)
        kernels.columnPartials(grid: ((cols + 31) / 32, parts, 1), block: (32, 8, 1), a: a, partial: partial, rows: rows, cols: cols,
                               rowsPerPart: perPart)
        kernels.sumPartialsToFloat(elements: cols, partial: partial, out: out, parts: parts, width: cols)
    }

    // MARK: planned ops

    public func makeConvolution(_ geometry: ConvolutionGeometry, propagateDown: Bool) throws -> any ConvolutionOp {
        vgg_cuda_make_current()
        return try CUDAConvolution(geometry, propagateDown: propagateDown, backend: self)
    }

    public func makeMaxPooling(_ geometry: PoolingGeometry) throws -> any MaxPoolingOp {
        CUDAMaxPooling(geometry, backend: self)
    }

    public func makeLocalResponseNorm(shape: [Int], _ parameters: LocalResponseNormParameters) throws -> any LocalResponseNormOp {
        CUDALocalResponseNorm(shape: shape, parameters, backend: self)
    }

    public func makeBatchNorm(shape: [Int], epsilon: Float) throws -> any BatchNormOp {
        CUDABatchNorm(shape: shape, epsilon: epsilon, backend: self)
    }

    public func makeLinear(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool) throws -> any LinearOp {
        CUDALinear(batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, propagateDown: propagateDown, backend: self)
    }

    public func makeReLU(count: Int) throws -> any ReLUOp { CUDAReLU(count: count, kernels: kernels) }

    public func makeDropout(shape: [Int], probability: Float) throws -> any DropoutOp {
        CUDADropout(shape: shape, probability: probability, backend: self)
    }

    public func makeAdaptiveAveragePool(inputShape: [Int], outHeight: Int, outWidth: Int) throws -> any AdaptiveAveragePoolOp {
        CUDAAdaptiveAveragePool(inputShape: inputShape, outHeight: outHeight, outWidth: outWidth, backend: self)
    }

    // MARK: stateless ops

    public func permute(_ x: Tensor, into y: Tensor) {
        precondition(x.shape == y.shape && x.shape.count == 4, "permute \(x.shape) into \(y.shape)")
        vgg_cuda_make_current()
        if x.layout == y.layout { y.copy(from: x); return }
        let s = x.shape
        if x.layout == .nchw {
            kernels.nchwToNhwc(elements: x.count, x: x.address, y: y.address, n: s[0], c: s[1], h: s[2], w: s[3])
        } else {
            kernels.nhwcToNchw(elements: x.count, x: x.address, y: y.address, n: s[0], c: s[1], h: s[2], w: s[3])
        }
    }

    public func softmax(_ logits: Tensor, into probabilities: Tensor) {
        vgg_cuda_make_current()
        let (n, k) = (logits.shape[0], logits.shape[1])
        guard n > 0 else { return }
        if roundsToBFloat16 {
            // The logits read as bf16; the probabilities stay float32 (point 6).
            let z = bfloat16.load(logits, into: 1)
            kernels.softmaxRowsBf16(grid: ((n + 7) / 8, 1, 1), block: (256, 1, 1), z: z, p: probabilities.address, n: n, k: k)
            return
        }
        kernels.softmaxRows(grid: ((n + 7) / 8, 1, 1), block: (256, 1, 1), z: logits.address, p: probabilities.address, n: n, k: k)
    }

    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Float, probabilities: Tensor, statistics: Tensor) {
        vgg_cuda_make_current()
        let (n, k) = (logits.shape[0], logits.shape[1])
        if roundsToBFloat16 {
            // The logits read as bf16; probabilities, loss and the count of correct rows float32.
            let z = bfloat16.load(logits, into: 1)
            kernels.softmaxCrossEntropyBf16(grid: (1, 1, 1), block: (1024, 1, 1), z: z, labels: labels.address, smoothing: labelSmoothing,
                                            p: probabilities.address, stats: statistics.address, n: n, k: k)
            return
        }
        kernels.softmaxCrossEntropy(grid: (1, 1, 1), block: (1024, 1, 1), z: logits.address, labels: labels.address, smoothing: labelSmoothing,
                                    p: probabilities.address, stats: statistics.address, n: n, k: k)
    }

    public func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, labelSmoothing: Float, normalizer: Int, gradient: Tensor) {
        vgg_cuda_make_current()
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        if roundsToBFloat16 {
            // Computed from the float32 probabilities, rounded once as it is written (points 6, 3).
            let g = bfloat16.bits(1, count: n * k)
            kernels.softmaxCrossEntropyBackwardBf16(elements: n * k, p: probabilities.address, labels: labels.address,
                                                    smoothing: labelSmoothing, normalizer: Double(normalizer), g: g, n: n, k: k)
            bfloat16.store(g, into: gradient)
            return
        }
        kernels.softmaxCrossEntropyBackward(elements: n * k, p: probabilities.address, labels: labels.address, smoothing: labelSmoothing,
                                            normalizer: Double(normalizer), g: gradient.address, n: n, k: k)
    }

    /// In bf16 too it updates the float32 master and momentum with `sgd_update` and rounds
    /// nothing, as the `reference` backend does: with float32 tensors between the ops, each op
    /// reads the weights' bf16 copy by rounding the master as it reads it (point 7's copy,
    /// made where it is read). `sgd_update_bf16`, which writes a stored 2-byte copy, waits for
    /// 2-byte weight storage (docs/precision.md).
    public func sgdUpdate(_ u: SGDUpdate) {
        vgg_cuda_make_current()
        for s in u.segments where s.count > 0 {
            kernels.sgdUpdate(elements: s.count, w: u.values.address, g: u.gradients.address, b: u.momentumBuffer.address, offset: s.offset,
                              count: s.count, lr: s.learningRate, weightDecay: s.weightDecay, momentum: u.momentum,
                              dampening: u.dampening, nesterov: u.nesterov ? 1 : 0, firstStep: u.isFirstStep ? 1 : 0)
        }
    }

    public func add(_ x: Tensor, to y: Tensor) {
        precondition(x.count == y.count, "add of \(x.shape) to \(y.shape)")
        guard x.count > 0 else { return }
        vgg_cuda_make_current()
        kernels.addInPlace(elements: x.count, y: y.address, x: x.address, n: x.count)
    }
}
