import CDNNL
@_spi(BackendImplementation) import Tensors

/// Local response normalisation across channels on oneDNN (NHWC), PyTorch's and Caffe's
/// convention (see `LocalResponseNormParameters`). In bf16 it reads x and dy rounded and
/// rounds y and dx (`BFloat16Rounding`).
final class LRNKernel: LocalResponseNormOp {
    let parameters: LocalResponseNormParameters
    private let forwardPrimitive: DNNLPrimitive
    private let backwardPrimitive: DNNLPrimitive
    private let src, dst, diffSrc, diffDst: DNNLMemory
    private let workspace: DNNLMemory?
    private let rounding: BFloat16Rounding

    init(shape s: [Int], _ p: LocalResponseNormParameters, context: DNNLContext, rounding: BFloat16Rounding) throws {
        parameters = p
        self.rounding = rounding
        var md = try makeMemoryDesc(s, dnnl_nhwc)
        var fd = dnnl_lrn_desc_t()
        try dnnlCheck(dnnl_lrn_forward_desc_init(&fd, dnnl_forward_training, dnnl_lrn_across_channels, &md,
                                                 Int64(p.size), p.alpha, p.beta, p.k), "LRN forward")
        let fp = try withUnsafePointer(to: &fd) { try DNNLPrimitive(opDesc: $0, context: context, what: "LRN forward") }
        forwardPrimitive = fp
        var bd = dnnl_lrn_desc_t()
        try dnnlCheck(dnnl_lrn_backward_desc_init(&bd, dnnl_lrn_across_channels, &md, &md,
                                                  Int64(p.size), p.alpha, p.beta, p.k), "LRN backward")
        backwardPrimitive = try withUnsafePointer(to: &bd) {
            try DNNLPrimitive(opDesc: $0, context: context, hint: fp, what: "LRN backward")
        }
        src = try DNNLMemory(md, context: context); dst = try DNNLMemory(md, context: context)
        diffSrc = try DNNLMemory(md, context: context); diffDst = try DNNLMemory(md, context: context)
        workspace = try forwardPrimitive.workspace()
    }

    func forward(x: Tensor, y: Tensor) {
        rounding.reading(x) { x in
            src.bind(x); dst.bind(y)
            forwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst)], workspace: workspace)
        }
        rounding.write(y)
    }

    func backward(x: Tensor, dy: Tensor, dx: Tensor) {
        rounding.reading(x, dy) { x, dy in
            src.bind(x); diffDst.bind(dy); diffSrc.bind(dx)
            backwardPrimitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)], workspace: workspace)
        }
        rounding.write(dx)
    }
}
