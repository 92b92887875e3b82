@_spi(BackendImplementation) import Tensors

/// The rectified linear unit in place: x ← x where x > 0, else 0 (a NaN stays NaN, as in
/// PyTorch); backward passes the gradient where the forward's output y > 0 and zeroes it
/// elsewhere.
final class ReferenceReLU: ReLUOp {
    let count: Int
    private let threads: Int

    init(count: Int, threads: Int) {
        self.count = count
        self.threads = threads
    }

    func forward(_ x: Tensor) {
        precondition(x.count == count, "ReLU planned for \(count) elements, given \(x.count)")
        let p = x.hostPointer
        Loops.parallel(count, threads: threads) { range in
            for i in range where !(p[i] > 0) && !p[i].isNaN { p[i] = 0 }
        }
    }

    func backward(output y: Tensor, gradient: Tensor) {
        precondition(y.count == count && gradient.count == count, "ReLU planned for \(count) elements")
        let yp = y.hostPointer, g = gradient.hostPointer
        Loops.parallel(count, threads: threads) { range in
            for i in range where !(yp[i] > 0) { g[i] = 0 }
        }
    }
}
