import CDNNL
import CKernels

/// Max pooling forward and backward on NHWC activations. VGG's 2×2 stride-2 windows run
/// on a hand-written kernel (`CKernels`, vectorised along the channels, one byte of argmax
/// per output); other windows on oneDNN, which keeps its argmax positions in a workspace.
///
/// oneDNN 2.6 has no JIT kernel for NHWC pooling on AVX2: its reference one took 16.8 ms
/// for the forward of a 128×64×32×32 batch on 2 threads.
public final class MaxPoolingKernel {
    public let batch, channels, height, width, kernel, stride, padding: Int
    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Whether the hand-written 2×2 kernel runs this pooling (else oneDNN).
    public let isNative: Bool

    private let dnnl: DNNLMaxPooling?
    private var argmax: [UInt8]

    /// `native` false forces oneDNN even for 2×2 stride-2 windows.
    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int = 0,
                native: Bool = true) throws {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        isNative = native && kernel == 2 && stride == 2 && padding == 0 && WinogradConvolution.isSupported
        if isNative {
            dnnl = nil
            argmax = [UInt8](repeating: 0, count: batch * channels * (height / 2) * (width / 2))
        } else {
            dnnl = try DNNLMaxPooling(batch: batch, channels: channels, height: height, width: width,
                                      kernel: kernel, stride: stride, padding: padding)
            argmax = []
        }
    }

    public func forward(x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard isNative else { return dnnl!.forward(x: x, y: y) }
        argmax.withUnsafeMutableBufferPointer {
            vgg_maxpool2_forward(x, batch, Int32(height), Int32(width), Int32(channels), y, $0.baseAddress)
        }
    }

    public func backward(dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        guard isNative else { return dnnl!.backward(dy: dy, dx: dx) }
        argmax.withUnsafeBufferPointer {
            vgg_maxpool2_backward(dy, $0.baseAddress, batch, Int32(height), Int32(width), Int32(channels), dx)
        }
    }
}

/// Max pooling on oneDNN's primitives (NHWC) with its argmax workspace.
final class DNNLMaxPooling {
    private let forwardPrimitive: DNNLPrimitive
    private let backwardPrimitive: DNNLPrimitive
    private let src, dst, diffSrc, diffDst: DNNLMemory
    private let workspace: DNNLMemory?

    init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) throws {
        let oh = (height + 2 * padding - kernel) / stride + 1
        let ow = (width + 2 * padding - kernel) / stride + 1
        var s = try makeMemoryDesc([batch, channels, height, width], dnnl_nhwc)
        var d = try makeMemoryDesc([batch, channels, oh, ow], dnnl_nhwc)
        let st: [Int64] = [Int64(stride), Int64(stride)]
        let k: [Int64] = [Int64(kernel), Int64(kernel)]
        let pl: [Int64] = [Int64(padding), Int64(padding)]
        let pr: [Int64] = [Int64((oh - 1) * stride + kernel - height - padding), Int64((ow - 1) * stride + kernel - width - padding)]
        var fd = dnnl_pooling_desc_t()
        try dnnlCheck(dnnl_pooling_forward_desc_init(&fd, dnnl_forward_training, dnnl_pooling_max, &s, &d, st, k, pl, pr), "max pooling forward")
        let fp = try withUnsafePointer(to: &fd) { try DNNLPrimitive(opDesc: $0, what: "max pooling forward") }
        forwardPrimitive = fp
        var bdsc = dnnl_pooling_desc_t()
        try dnnlCheck(dnnl_pooling_backward_desc_init(&bdsc, dnnl_pooling_max, &s, &d, st, k, pl, pr), "max pooling backward")
        backwardPrimitive = try withUnsafePointer(to: &bdsc) { try DNNLPrimitive(opDesc: $0, hint: fp, what: "max pooling backward") }
        let dummy = UnsafeMutableRawPointer(bitPattern: 64)!
        src = try DNNLMemory(s, pointer: dummy); dst = try DNNLMemory(d, pointer: dummy)
        diffSrc = try DNNLMemory(s, pointer: dummy); diffDst = try DNNLMemory(d, pointer: dummy)
        workspace = try forwardPrimitive.queryMD(dnnl_query_workspace_md).map { try DNNLMemory($0) }
    }

    func forward(x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        src.bind(x); dst.bind(y)
        var args = [(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        forwardPrimitive.execute(args)
    }

    func backward(dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        diffDst.bind(dy); diffSrc.bind(dx)
        var args = [(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        backwardPrimitive.execute(args)
    }
}


/// Local response normalisation across channels (AlexNet's, used by VGG's A-LRN) on oneDNN.
///
/// `b = a / (k + alpha / size * sum(a^2 over size neighbouring channels))^beta`, the
/// convention of PyTorch's `LocalResponseNorm` and Caffe.
public final class LRNKernel {
    private let forwardPrimitive: DNNLPrimitive
    private let backwardPrimitive: DNNLPrimitive
    private let src, dst, diffSrc, diffDst: DNNLMemory
    private let workspace: DNNLMemory?

    public init(batch: Int, channels: Int, height: Int, width: Int,
                size: Int, alpha: Float, beta: Float, k: Float) throws {
        var md = try makeMemoryDesc([batch, channels, height, width], dnnl_nhwc)
        var fd = dnnl_lrn_desc_t()
        try dnnlCheck(dnnl_lrn_forward_desc_init(&fd, dnnl_forward_training, dnnl_lrn_across_channels, &md,
                                                 Int64(size), alpha, beta, k), "LRN forward")
        let fp = try withUnsafePointer(to: &fd) { try DNNLPrimitive(opDesc: $0, what: "LRN forward") }
        forwardPrimitive = fp
        var bd = dnnl_lrn_desc_t()
        try dnnlCheck(dnnl_lrn_backward_desc_init(&bd, dnnl_lrn_across_channels, &md, &md,
                                                  Int64(size), alpha, beta, k), "LRN backward")
        backwardPrimitive = try withUnsafePointer(to: &bd) { try DNNLPrimitive(opDesc: $0, hint: fp, what: "LRN backward") }
        let dummy = UnsafeMutableRawPointer(bitPattern: 64)!
        src = try DNNLMemory(md, pointer: dummy); dst = try DNNLMemory(md, pointer: dummy)
        diffSrc = try DNNLMemory(md, pointer: dummy); diffDst = try DNNLMemory(md, pointer: dummy)
        workspace = try forwardPrimitive.queryMD(dnnl_query_workspace_md).map { try DNNLMemory($0) }
    }

    public func forward(x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        src.bind(x); dst.bind(y)
        var args = [(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        forwardPrimitive.execute(args)
    }

    public func backward(x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        src.bind(x); diffDst.bind(dy); diffSrc.bind(dx)
        var args = [(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        backwardPrimitive.execute(args)
    }
}

/// Batch normalisation over N, H, W per channel (NHWC) on oneDNN, with learnable
/// scale and shift. Training mode computes batch statistics; inference mode uses the
/// given running statistics.
public final class BatchNormKernel {
    public let count: Int
    private let trainPrimitive: DNNLPrimitive
    private let inferencePrimitive: DNNLPrimitive
    private let backwardPrimitive: DNNLPrimitive
    private let src, dst, diffSrc, diffDst, scale, shift, diffScale, diffShift, mean, variance: DNNLMemory

    public init(batch: Int, channels: Int, height: Int, width: Int, epsilon: Float) throws {
        count = batch * height * width
        var md = try makeMemoryDesc([batch, channels, height, width], dnnl_nhwc)
        let flags = UInt32(dnnl_use_scale.rawValue | dnnl_use_shift.rawValue)
        var td = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&td, dnnl_forward_training, &md, epsilon, flags), "batch norm forward")
        let tp = try withUnsafePointer(to: &td) { try DNNLPrimitive(opDesc: $0, what: "batch norm forward") }
        trainPrimitive = tp
        var id = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&id, dnnl_forward_inference, &md, epsilon,
                                                                 flags | UInt32(dnnl_use_global_stats.rawValue)), "batch norm inference")
        inferencePrimitive = try withUnsafePointer(to: &id) { try DNNLPrimitive(opDesc: $0, what: "batch norm inference") }
        var bd = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &md, &md, epsilon, flags), "batch norm backward")
        backwardPrimitive = try withUnsafePointer(to: &bd) { try DNNLPrimitive(opDesc: $0, hint: tp, what: "batch norm backward") }
        let cmd = try makeMemoryDesc([channels], dnnl_x)
        let dummy = UnsafeMutableRawPointer(bitPattern: 64)!
        src = try DNNLMemory(md, pointer: dummy); dst = try DNNLMemory(md, pointer: dummy)
        diffSrc = try DNNLMemory(md, pointer: dummy); diffDst = try DNNLMemory(md, pointer: dummy)
        scale = try DNNLMemory(cmd, pointer: dummy); shift = try DNNLMemory(cmd, pointer: dummy)
        diffScale = try DNNLMemory(cmd, pointer: dummy); diffShift = try DNNLMemory(cmd, pointer: dummy)
        mean = try DNNLMemory(cmd, pointer: dummy); variance = try DNNLMemory(cmd, pointer: dummy)
    }

    /// Training forward: writes the batch mean and (biased) variance.
    public func forwardTraining(x: UnsafeMutablePointer<Float>, gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                                y: UnsafeMutablePointer<Float>, batchMean: UnsafeMutablePointer<Float>, batchVariance: UnsafeMutablePointer<Float>) {
        src.bind(x); dst.bind(y); scale.bind(gamma); shift.bind(beta); mean.bind(batchMean); variance.bind(batchVariance)
        trainPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance)])
    }

    /// Inference forward with fixed statistics.
    public func forwardInference(x: UnsafeMutablePointer<Float>, gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                                 y: UnsafeMutablePointer<Float>, runningMean: UnsafeMutablePointer<Float>, runningVariance: UnsafeMutablePointer<Float>) {
        src.bind(x); dst.bind(y); scale.bind(gamma); shift.bind(beta); mean.bind(runningMean); variance.bind(runningVariance)
        inferencePrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                    (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance)])
    }

    /// Backward of the training forward (statistics are those the forward produced).
    public func backward(x: UnsafeMutablePointer<Float>, gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                         batchMean: UnsafeMutablePointer<Float>, batchVariance: UnsafeMutablePointer<Float>,
                         dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>,
                         dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>) {
        src.bind(x); scale.bind(gamma); shift.bind(beta); mean.bind(batchMean); variance.bind(batchVariance)
        diffDst.bind(dy); diffSrc.bind(dx); diffScale.bind(dgamma); diffShift.bind(dbeta)
        backwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
                                   (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                   (DNNL_ARG_DIFF_SRC, diffSrc), (DNNL_ARG_DIFF_SCALE, diffScale), (DNNL_ARG_DIFF_SHIFT, diffShift)])
    }
}
