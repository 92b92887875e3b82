import CDNNL

/// The shape of a 2-D convolution: batch, channels, spatial size, kernel, stride, padding.
public struct ConvolutionGeometry: Equatable, Sendable {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelH, kernelW, stride, padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int,
                outChannels: Int, kernelH: Int, kernelW: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Multiply-adds of one forward pass over the batch, times two.
    public var forwardFLOPs: Double {
        2.0 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels * kernelH * kernelW)
    }
}

/// Convolution forward and backward on oneDNN, activations channels-last (NHWC),
/// weights in PyTorch's OIHW order.
///
/// Weights are reordered into the layout the chosen kernel prefers before each
/// forward pass, and weight gradients back to OIHW, so that parameters stay in
/// one flat, framework-neutral buffer.
public final class ConvolutionKernel {
    public let geometry: ConvolutionGeometry
    public let propagateDown: Bool

    private let forwardPrimitive: DNNLPrimitive
    private let backwardDataPrimitive: DNNLPrimitive?
    private let backwardWeightsPrimitive: DNNLPrimitive
    private let src, dst, bias, diffSrc, diffDst, diffBias: DNNLMemory
    private let weightsForward: LayoutBridge
    private let weightsBackwardData: LayoutBridge?
    private let diffWeights: LayoutBridge

    /// Plans the primitives for one geometry. `propagateDown` false skips the input gradient
    /// (Caffe's `propagate_down`, used for the first layer).
    public init(_ g: ConvolutionGeometry, propagateDown: Bool = true) throws {
        geometry = g
        self.propagateDown = propagateDown
        let srcMD = try makeMemoryDesc([g.batch, g.inChannels, g.height, g.width], dnnl_nhwc)
        let dstMD = try makeMemoryDesc([g.batch, g.outChannels, g.outHeight, g.outWidth], dnnl_nhwc)
        let userWeightsMD = try makeMemoryDesc([g.outChannels, g.inChannels, g.kernelH, g.kernelW], dnnl_oihw)
        let anyWeightsMD = try makeMemoryDesc([g.outChannels, g.inChannels, g.kernelH, g.kernelW], dnnl_format_tag_any)
        let biasMD = try makeMemoryDesc([g.outChannels], dnnl_x)
        let strides: [Int64] = [Int64(g.stride), Int64(g.stride)]
        let padL: [Int64] = [Int64(g.padding), Int64(g.padding)]
        // Right padding so that the output size matches the floor formula exactly.
        let padRH = Int64((g.outHeight - 1) * g.stride + g.kernelH - g.height - g.padding)
        let padRW = Int64((g.outWidth - 1) * g.stride + g.kernelW - g.width - g.padding)
        let padR: [Int64] = [padRH, padRW]

        var s = srcMD, w = anyWeightsMD, b = biasMD, d = dstMD
        var fwdDesc = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_convolution_forward_desc_init(&fwdDesc, dnnl_forward_training, dnnl_convolution_direct,
                                                         &s, &w, &b, &d, strides, padL, padR), "convolution forward \(g)")
        let fwdPrim = try withUnsafePointer(to: &fwdDesc) { try DNNLPrimitive(opDesc: $0, what: "convolution forward") }
        forwardPrimitive = fwdPrim

        var bwdWDesc = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_convolution_backward_weights_desc_init(&bwdWDesc, dnnl_convolution_direct,
                                                                  &s, &w, &b, &d, strides, padL, padR), "convolution backward weights")
        backwardWeightsPrimitive = try withUnsafePointer(to: &bwdWDesc) {
            try DNNLPrimitive(opDesc: $0, hint: fwdPrim, what: "convolution backward weights")
        }
        if propagateDown {
            var bwdDDesc = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_convolution_backward_data_desc_init(&bwdDDesc, dnnl_convolution_direct,
                                                                   &s, &w, &d, strides, padL, padR), "convolution backward data")
            backwardDataPrimitive = try withUnsafePointer(to: &bwdDDesc) {
                try DNNLPrimitive(opDesc: $0, hint: fwdPrim, what: "convolution backward data")
            }
        } else {
            backwardDataPrimitive = nil
        }

        let dummy = UnsafeMutableRawPointer(bitPattern: 64)!
        src = try DNNLMemory(srcMD, pointer: dummy)
        dst = try DNNLMemory(dstMD, pointer: dummy)
        bias = try DNNLMemory(biasMD, pointer: dummy)
        diffSrc = try DNNLMemory(srcMD, pointer: dummy)
        diffDst = try DNNLMemory(dstMD, pointer: dummy)
        diffBias = try DNNLMemory(biasMD, pointer: dummy)
        let userWeights = try DNNLMemory(userWeightsMD, pointer: dummy)
        let userDiffWeights = try DNNLMemory(userWeightsMD, pointer: dummy)
        let fwdW = forwardPrimitive.queryMD(dnnl_query_weights_md)!
        weightsForward = try LayoutBridge(user: userWeights, innerDesc: fwdW, toInner: true)
        if let bd = backwardDataPrimitive {
            let bw = bd.queryMD(dnnl_query_weights_md)!
            weightsBackwardData = memoryDescEqual(bw, fwdW) ? nil
                : try LayoutBridge(user: userWeights, innerDesc: bw, toInner: true)
        } else {
            weightsBackwardData = nil
        }
        diffWeights = try LayoutBridge(user: userDiffWeights,
                                       innerDesc: backwardWeightsPrimitive.queryMD(dnnl_query_diff_weights_md)!,
                                       toInner: false)
        for (p, m) in [(forwardPrimitive, "src"), (backwardWeightsPrimitive, "src")] {
            let q = p.queryMD(dnnl_query_src_md)!
            precondition(memoryDescEqual(q, srcMD), "convolution \(m) layout is not NHWC")
        }
    }

    /// Names of the chosen implementations (forward, backward data, backward weights).
    public var implementations: [String] {
        [forwardPrimitive.implementation, backwardDataPrimitive?.implementation ?? "-", backwardWeightsPrimitive.implementation]
    }

    /// y = conv(x, weight) + bias. `x`, `y` NHWC; `weight` OIHW.
    public func forward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                        bias b: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        src.bind(x); dst.bind(y); bias.bind(b)
        weightsForward.user.bind(weight)
        weightsForward.sync(toInner: true)
        forwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, weightsForward.inner),
                                  (DNNL_ARG_BIAS, bias), (DNNL_ARG_DST, dst)])
    }

    /// Gradients: dweight, dbias (overwritten), and dx when planned with `propagateDown`.
    /// Call after `forward` with the same weights.
    public func backward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                         dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
        src.bind(x); diffDst.bind(dy); diffBias.bind(dbias)
        diffWeights.user.bind(dweight)
        backwardWeightsPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst),
                                          (DNNL_ARG_DIFF_WEIGHTS, diffWeights.inner), (DNNL_ARG_DIFF_BIAS, diffBias)])
        diffWeights.sync(toInner: false)
        if let bd = backwardDataPrimitive, let dx {
            diffSrc.bind(dx)
            let w: DNNLMemory
            if let bridge = weightsBackwardData {
                bridge.user.bind(weight)
                bridge.sync(toInner: true)
                w = bridge.inner
            } else {
                // The forward pass already reordered these weights (unchanged since).
                weightsForward.user.bind(weight)
                w = weightsForward.inner
            }
            bd.execute([(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, diffSrc)])
        }
    }
}
