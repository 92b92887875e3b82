import CDNNL
import CKernels
@_spi(BackendImplementation) import Tensors

/// Max pooling forward and backward on NHWC activations. VGG's 2×2 stride-2 windows run
/// on a hand-written kernel (`CKernels`, vectorised along the channels, one byte of argmax
/// per output) where the CPU has AVX2 and FMA; other windows on oneDNN, which keeps its
/// argmax positions in a workspace. In bf16 the forward needs no rounding (its outputs are
/// inputs, point 5 of `Precision`); the backward reads dy rounded and rounds dx (overlapping
/// windows sum).
///
/// oneDNN 2.6 has no JIT kernel for NHWC pooling on AVX2: its reference one took 16.8 ms
/// for the forward of a 128×64×32×32 batch on 2 threads.
final class MaxPoolingKernel: MaxPoolingOp {
    let geometry: PoolingGeometry
    /// Whether the hand-written 2×2 kernel runs this pooling (else oneDNN).
    let isNative: Bool

    private let dnnl: DNNLMaxPooling?
    private var argmax: [UInt8]
    private let rounding: BFloat16Rounding

    /// `native` false forces oneDNN even for 2×2 stride-2 windows.
    init(_ g: PoolingGeometry, context: DNNLContext, rounding: BFloat16Rounding, native: Bool = true) throws {
        geometry = g
        self.rounding = rounding
        isNative = native && g.kernel == 2 && g.stride == 2 && g.padding == 0 && CPUFeatures.hasAVX2AndFMA
        if isNative {
            dnnl = nil
            argmax = [UInt8](repeating: 0, count: g.batch * g.channels * (g.height / 2) * (g.width / 2))
        } else {
            dnnl = try DNNLMaxPooling(g, context: context)
            argmax = []
        }
    }

    func forward(x: Tensor, y: Tensor) {
        guard isNative else { return dnnl!.forward(x: x, y: y) }
        let g = geometry
        argmax.withUnsafeMutableBufferPointer {
            vgg_maxpool2_forward(x.hostPointer, g.batch, Int32(g.height), Int32(g.width), Int32(g.channels), y.hostPointer, $0.baseAddress)
        }
    }

    func backward(dy: Tensor, dx: Tensor) {
        rounding.reading(dy) { dy in backwardFloat(dy: dy, dx: dx) }
        rounding.write(dx)
    }

    private func backwardFloat(dy: Tensor, dx: Tensor) {
        guard isNative else { return dnnl!.backward(dy: dy, dx: dx) }
        let g = geometry
        argmax.withUnsafeBufferPointer {
            vgg_maxpool2_backward(dy.hostPointer, $0.baseAddress, g.batch, Int32(g.height), Int32(g.width), Int32(g.channels), dx.hostPointer)
        }
    }
}

/// Max pooling on oneDNN's primitives (NHWC) with its argmax workspace.
final class DNNLMaxPooling {
    private let forwardPrimitive: DNNLPrimitive
    private let backwardPrimitive: DNNLPrimitive
    private let src, dst, diffSrc, diffDst: DNNLMemory
    private let workspace: DNNLMemory?

    init(_ g: PoolingGeometry, context: DNNLContext) throws {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var s = try makeMemoryDesc([g.batch, g.channels, g.height, g.width], dnnl_nhwc)
        var d = try makeMemoryDesc([g.batch, g.channels, oh, ow], dnnl_nhwc)
        let st: [Int64] = [Int64(g.stride), Int64(g.stride)]
        let k: [Int64] = [Int64(g.kernel), Int64(g.kernel)]
        let pl: [Int64] = [Int64(g.padding), Int64(g.padding)]
        let pr: [Int64] = [Int64((oh - 1) * g.stride + g.kernel - g.height - g.padding),
                           Int64((ow - 1) * g.stride + g.kernel - g.width - g.padding)]
        var fd = dnnl_pooling_desc_t()
        try dnnlCheck(dnnl_pooling_forward_desc_init(&fd, dnnl_forward_training, dnnl_pooling_max, &s, &d, st, k, pl, pr), "max pooling forward")
        let fp = try withUnsafePointer(to: &fd) { try DNNLPrimitive(opDesc: $0, context: context, what: "max pooling forward") }
        forwardPrimitive = fp
        var bdsc = dnnl_pooling_desc_t()
        try dnnlCheck(dnnl_pooling_backward_desc_init(&bdsc, dnnl_pooling_max, &s, &d, st, k, pl, pr), "max pooling backward")
        backwardPrimitive = try withUnsafePointer(to: &bdsc) {
            try DNNLPrimitive(opDesc: $0, context: context, hint: fp, what: "max pooling backward")
        }
        src = try DNNLMemory(s, context: context); dst = try DNNLMemory(d, context: context)
        diffSrc = try DNNLMemory(s, context: context); diffDst = try DNNLMemory(d, context: context)
        workspace = try forwardPrimitive.workspace()
    }

    func forward(x: Tensor, y: Tensor) {
        src.bind(x); dst.bind(y)
        forwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst)], workspace: workspace)
    }

    func backward(dy: Tensor, dx: Tensor) {
        diffDst.bind(dy); diffSrc.bind(dx)
        backwardPrimitive.execute([(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)], workspace: workspace)
    }
}
