import CKernels
@_spi(BackendImplementation) import Tensors

/// A fully connected layer on sgemm (oneDNN's or OpenBLAS's): the bias is copied into
/// every output row and the product added to it; the bias gradient sums the rows of dy on
/// the OpenMP threads. In bf16 it reads x, dy, the weight and the bias rounded and rounds y
/// and dx (`BFloat16Rounding`); dweight and dbias stay float32.
final class LinearKernel: LinearOp {
    let batch, inFeatures, outFeatures: Int
    let propagateDown: Bool
    private let gemm: GEMM.Library
    private let rounding: BFloat16Rounding

    init(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool, gemm: GEMM.Library, rounding: BFloat16Rounding) {
        self.rounding = rounding
        self.batch = batch; self.inFeatures = inFeatures; self.outFeatures = outFeatures
        self.propagateDown = propagateDown
        self.gemm = gemm
    }

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        rounding.reading(x, weight, bias) { x, weight, bias in forwardFloat(x: x, weight: weight, bias: bias, y: y) }
        rounding.write(y)
    }

    private func forwardFloat(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        let n = x.shape[0]
        let yp = y.hostPointer, b = bias.hostPointer
        for i in 0..<n { (yp + i * outFeatures).update(from: b, count: outFeatures) }
        GEMM.multiply(transposeA: false, transposeB: true, m: n, n: outFeatures, k: inFeatures,
                      a: x.hostPointer, b: weight.hostPointer, beta: 1, c: yp, library: gemm)
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        rounding.reading(x, weight, dy) { x, weight, dy in
            backwardFloat(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
        }
        if propagateDown { rounding.write(dx) }
    }

    private func backwardFloat(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        let n = dy.shape[0]
        // dW = dyᵀ x ; db = Σ dy ; dx = dy W
        GEMM.multiply(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n,
                      a: dy.hostPointer, b: x.hostPointer, c: dweight.hostPointer, library: gemm)
        vgg_bias_gradient(dy.hostPointer, n, Int32(outFeatures), dbias.hostPointer)
        guard propagateDown, let dx else { return }
        GEMM.multiply(transposeA: false, transposeB: false, m: n, n: inFeatures, k: outFeatures,
                      a: dy.hostPointer, b: weight.hostPointer, c: dx.hostPointer, library: gemm)
    }
}
