import CDNNL
import Tensors
import Foundation

/// A caller's buffer (NHWC activations, OIHW weights) seen by a primitive that may want
/// another layout; when the layouts differ the data is staged in scratch memory for the
/// duration of one call, so a network keeps no per-layer copies in kernel layouts.
final class StagedMemory {
    let user: DNNLMemory
    private let inner: DNNLMemory?
    private let reorder: DNNLPrimitive?
    private let isInput: Bool
    private var buffer: ScratchBuffers.Buffer?
    private let scratch: ScratchBuffers

    /// `isInput`: the primitive reads it (reordered in `begin`); otherwise it writes it
    /// (reordered back to the caller's layout in `finish`).
    init(user userDesc: dnnl_memory_desc_t, inner innerDesc: dnnl_memory_desc_t, isInput: Bool,
         context: DNNLContext, scratch: ScratchBuffers) throws {
        user = try DNNLMemory(userDesc, context: context)
        self.isInput = isInput
        self.scratch = scratch
        if memoryDescEqual(userDesc, innerDesc) {
            inner = nil; reorder = nil
        } else {
            inner = try DNNLMemory(innerDesc, context: context)
            reorder = isInput ? try DNNLPrimitive(reorderFrom: userDesc, to: innerDesc, context: context)
                              : try DNNLPrimitive(reorderFrom: innerDesc, to: userDesc, context: context)
        }
    }

    /// Binds the caller's buffer and returns the memory to hand to the primitive.
    func begin(_ pointer: UnsafeMutablePointer<Float>) -> DNNLMemory {
        user.bind(UnsafeMutableRawPointer(pointer))
        guard let inner else { return user }
        let b = scratch.acquire(inner.byteSize)
        buffer = b
        inner.bind(b.pointer)
        if isInput { reorder!.execute([(DNNL_ARG_FROM, user), (DNNL_ARG_TO, inner)]) }
        return inner
    }

    /// Copies an output back to the caller's layout and gives the scratch back.
    func finish() {
        guard let inner, let b = buffer else { return }
        if !isInput { reorder!.execute([(DNNL_ARG_FROM, inner), (DNNL_ARG_TO, user)]) }
        scratch.release(b)
        buffer = nil
    }
}

/// Convolution forward and backward on oneDNN's primitives (direct, or its Winograd
/// kernels on AVX-512), activations channels-last (NHWC), weights in PyTorch's OIHW order.
///
/// Parameters stay in one flat, framework-neutral buffer: on each call the weights are
/// reordered into the layout the chosen kernel prefers (Winograd's transformed tiles,
/// or a blocked layout) and the weight gradients back to OIHW, through shared scratch
/// memory (`StagedMemory`). Direct kernels read and write NHWC activations in place;
/// Winograd kernels (see `ConvolutionAlgorithm`) stage them through their blocked layout.
final class DNNLConvolution {
    let geometry: ConvolutionGeometry
    let propagateDown: Bool
    /// The algorithm in use (`.direct` or `.winograd`).
    let algorithm: ConvolutionAlgorithm

    private let forwardPrimitive: DNNLPrimitive
    private let backwardDataPrimitive: DNNLPrimitive?
    private let backwardWeightsPrimitive: DNNLPrimitive
    private let bias, diffBias: DNNLMemory
    private let forwardSource, forwardWeights, forwardDestination: StagedMemory
    private let weightsSource, weightsDiffDestination, diffWeights: StagedMemory
    private let dataDiffDestination, dataWeights, dataDiffSource: StagedMemory?

    /// Plans the primitives for one geometry. `propagateDown` false skips the input gradient
    /// (Caffe's `propagate_down`, used for the first layer). `winograd` asks for oneDNN's
    /// Winograd kernels; when it has none for the geometry the kernel is direct.
    init(_ g: ConvolutionGeometry, context: DNNLContext, scratch: ScratchBuffers, propagateDown: Bool = true, winograd: Bool) throws {
        geometry = g
        self.propagateDown = propagateDown
        let srcMD = try makeMemoryDesc([g.batch, g.inChannels, g.height, g.width], dnnl_nhwc)
        let dstMD = try makeMemoryDesc([g.batch, g.outChannels, g.outHeight, g.outWidth], dnnl_nhwc)
        let userWeightsMD = try makeMemoryDesc([g.outChannels, g.inChannels, g.kernelH, g.kernelW], dnnl_oihw)
        let biasMD = try makeMemoryDesc([g.outChannels], dnnl_x)

        let primitives: (DNNLPrimitive, DNNLPrimitive, DNNLPrimitive?)
        if winograd, let p = try? Self.makePrimitives(g, context: context, winograd: true, propagateDown: propagateDown) {
            primitives = p
            self.algorithm = .winograd
        } else {
            primitives = try Self.makePrimitives(g, context: context, winograd: false, propagateDown: propagateDown)
            self.algorithm = .direct
        }
        (forwardPrimitive, backwardWeightsPrimitive, backwardDataPrimitive) = primitives

        bias = try DNNLMemory(biasMD, context: context)
        diffBias = try DNNLMemory(biasMD, context: context)
        func staged(_ user: dnnl_memory_desc_t, _ inner: dnnl_memory_desc_t, isInput: Bool) throws -> StagedMemory {
            try StagedMemory(user: user, inner: inner, isInput: isInput, context: context, scratch: scratch)
        }
        let fwd = forwardPrimitive, bwdW = backwardWeightsPrimitive
        forwardSource = try staged(srcMD, fwd.queryMD(dnnl_query_src_md)!, isInput: true)
        forwardWeights = try staged(userWeightsMD, fwd.queryMD(dnnl_query_weights_md)!, isInput: true)
        forwardDestination = try staged(dstMD, fwd.queryMD(dnnl_query_dst_md)!, isInput: false)
        weightsSource = try staged(srcMD, bwdW.queryMD(dnnl_query_src_md)!, isInput: true)
        let wDiffDst = bwdW.queryMD(dnnl_query_diff_dst_md)!
        weightsDiffDestination = try staged(dstMD, wDiffDst, isInput: true)
        diffWeights = try staged(userWeightsMD, bwdW.queryMD(dnnl_query_diff_weights_md)!, isInput: false)
        if let bd = backwardDataPrimitive {
            let dDiffDst = bd.queryMD(dnnl_query_diff_dst_md)!
            // Usually the same layout as for the weight gradient: then that staged copy is reused.
            dataDiffDestination = memoryDescEqual(dDiffDst, wDiffDst) ? nil
                : try staged(dstMD, dDiffDst, isInput: true)
            dataWeights = try staged(userWeightsMD, bd.queryMD(dnnl_query_weights_md)!, isInput: true)
            dataDiffSource = try staged(srcMD, bd.queryMD(dnnl_query_diff_src_md)!, isInput: false)
        } else {
            dataDiffDestination = nil
            dataWeights = nil
            dataDiffSource = nil
        }
    }

    /// Forward, backward-weights and (with `propagateDown`) backward-data primitives.
    /// Direct kernels are bound to NHWC activations; Winograd ones choose their layout.
    private static func makePrimitives(_ g: ConvolutionGeometry, context: DNNLContext, winograd: Bool, propagateDown: Bool) throws
        -> (DNNLPrimitive, DNNLPrimitive, DNNLPrimitive?) {
        let activationTag = winograd ? dnnl_format_tag_any : dnnl_nhwc
        var s = try makeMemoryDesc([g.batch, g.inChannels, g.height, g.width], activationTag)
        var d = try makeMemoryDesc([g.batch, g.outChannels, g.outHeight, g.outWidth], activationTag)
        var w = try makeMemoryDesc([g.outChannels, g.inChannels, g.kernelH, g.kernelW], dnnl_format_tag_any)
        var b = try makeMemoryDesc([g.outChannels], dnnl_x)
        let alg = winograd ? dnnl_convolution_winograd : dnnl_convolution_direct
        let strides: [Int64] = [Int64(g.stride), Int64(g.stride)]
        let padL: [Int64] = [Int64(g.padding), Int64(g.padding)]
        // Right padding so that the output size matches the floor formula exactly.
        let padR: [Int64] = [Int64((g.outHeight - 1) * g.stride + g.kernelH - g.height - g.padding),
                             Int64((g.outWidth - 1) * g.stride + g.kernelW - g.width - g.padding)]

        var fwdDesc = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_convolution_forward_desc_init(&fwdDesc, dnnl_forward_training, alg,
                                                         &s, &w, &b, &d, strides, padL, padR), "convolution forward \(g)")
        let fwd = try withUnsafePointer(to: &fwdDesc) { try DNNLPrimitive(opDesc: $0, context: context, what: "convolution forward") }
        var bwdWDesc = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_convolution_backward_weights_desc_init(&bwdWDesc, alg, &s, &w, &b, &d, strides, padL, padR),
                      "convolution backward weights")
        let bwdW = try withUnsafePointer(to: &bwdWDesc) {
            try DNNLPrimitive(opDesc: $0, context: context, hint: fwd, what: "convolution backward weights")
        }
        var bwdD: DNNLPrimitive?
        if propagateDown {
            var bwdDDesc = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_convolution_backward_data_desc_init(&bwdDDesc, alg, &s, &w, &d, strides, padL, padR),
                          "convolution backward data")
            bwdD = try withUnsafePointer(to: &bwdDDesc) {
                try DNNLPrimitive(opDesc: $0, context: context, hint: fwd, what: "convolution backward data")
            }
        }
        return (fwd, bwdW, bwdD)
    }

    /// Names of the chosen implementations (forward, backward data, backward weights).
    var implementations: [String] {
        [forwardPrimitive.implementation, backwardDataPrimitive?.implementation ?? "-", backwardWeightsPrimitive.implementation]
    }

    /// y = conv(x, weight) + bias. `x`, `y` NHWC; `weight` OIHW.
    func forward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                        bias b: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        bias.bind(UnsafeMutableRawPointer(b))
        let w = forwardWeights.begin(weight)
        let src = forwardSource.begin(x)
        let dst = forwardDestination.begin(y)
        forwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_BIAS, bias), (DNNL_ARG_DST, dst)])
        forwardDestination.finish()
        forwardSource.finish()
        forwardWeights.finish()
    }

    /// Gradients: dweight, dbias (overwritten), and dx when planned with `propagateDown`.
    func backward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                         dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
        diffBias.bind(UnsafeMutableRawPointer(dbias))
        let diffDst = weightsDiffDestination.begin(dy)
        let src = weightsSource.begin(x)
        let dw = diffWeights.begin(dweight)
        backwardWeightsPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst),
                                          (DNNL_ARG_DIFF_WEIGHTS, dw), (DNNL_ARG_DIFF_BIAS, diffBias)])
        diffWeights.finish()
        weightsSource.finish()
        if let bd = backwardDataPrimitive, let dx, let dataWeights, let dataDiffSource {
            let dataDiffDst = dataDiffDestination?.begin(dy) ?? diffDst
            let w = dataWeights.begin(weight)
            let diffSrc = dataDiffSource.begin(dx)
            bd.execute([(DNNL_ARG_DIFF_DST, dataDiffDst), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, diffSrc)])
            dataDiffSource.finish()
            dataWeights.finish()
            dataDiffDestination?.finish()
        }
        weightsDiffDestination.finish()
    }
}
