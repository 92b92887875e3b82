@_spi(BackendImplementation) import Tensors

/// A planned convolution: forward and backward for one geometry, on oneDNN's primitives
/// or on the native Winograd kernels (`WinogradConvolution`), activations channels-last
/// (NHWC), weights in PyTorch's OIHW order, bias per output channel. In bf16 it reads x, dy,
/// the filter and the bias rounded and rounds y and dx (`BFloat16Rounding`); the Winograd
/// transforms are float32 arithmetic on those rounded values, within the float32 error of
/// the direct sums.
final class ConvolutionKernel: ConvolutionOp {
    let geometry: ConvolutionGeometry
    let propagateDown: Bool
    /// The algorithm in use (`.direct` or `.winograd`).
    let algorithm: ConvolutionAlgorithm
    var usesWinograd: Bool { algorithm == .winograd }
    private let dnnl: DNNLConvolution?
    private let native: WinogradConvolution?
    private let rounding: BFloat16Rounding

    /// Plans one geometry. `propagateDown` false skips the input gradient (Caffe's
    /// `propagate_down`, used for the first layer). `algorithm` picks Winograd or direct
    /// and `winograd` whose Winograd; when that Winograd is not available for the
    /// geometry on this machine the kernel is direct.
    init(_ g: ConvolutionGeometry, propagateDown: Bool, algorithm: ConvolutionAlgorithm,
         winograd: WinogradImplementation, context: DNNLContext, scratch: ScratchBuffers,
         winogradScratchBytes: Int, gemm: GEMM.Library, rounding: BFloat16Rounding) throws {
        geometry = g
        self.rounding = rounding
        self.propagateDown = propagateDown
        let wantsWinograd = algorithm.prefersWinograd(g, implementation: winograd)
        if wantsWinograd && winograd == .native && WinogradConvolution.isSupported {
            native = WinogradConvolution(g, propagateDown: propagateDown, scratch: scratch,
                                         scratchBytes: winogradScratchBytes, gemm: gemm)
            dnnl = nil
            self.algorithm = .winograd
        } else {
            let d = try DNNLConvolution(g, context: context, scratch: scratch, propagateDown: propagateDown,
                                        winograd: wantsWinograd && winograd == .onednn)
            dnnl = d
            native = nil
            self.algorithm = d.algorithm
        }
    }

    /// Names of the implementations in use (forward, backward data, backward weights).
    var implementations: [String] {
        if let native { return native.implementations }
        return dnnl!.implementations
    }

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        rounding.reading(x, weight, bias) { x, weight, bias in forwardFloat(x: x, weight: weight, bias: bias, y: y) }
        rounding.write(y)
    }

    private func forwardFloat(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        if let native {
            native.forward(x: x.hostPointer, weight: weight.hostPointer, bias: bias.hostPointer, y: y.hostPointer)
        } else {
            dnnl!.forward(x: x.hostPointer, weight: weight.hostPointer, bias: bias.hostPointer, y: y.hostPointer)
        }
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        rounding.reading(x, weight, dy) { x, weight, dy in
            backwardFloat(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
        }
        if propagateDown { rounding.write(dx) }   // dweight and dbias stay float32
    }

    private func backwardFloat(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        let dxp = propagateDown ? dx?.hostPointer : nil
        if let native {
            native.backward(x: x.hostPointer, weight: weight.hostPointer, dy: dy.hostPointer, dx: dxp,
                            dweight: dweight.hostPointer, dbias: dbias.hostPointer)
        } else {
            dnnl!.backward(x: x.hostPointer, weight: weight.hostPointer, dy: dy.hostPointer, dx: dxp,
                           dweight: dweight.hostPointer, dbias: dbias.hostPointer)
        }
    }
}
