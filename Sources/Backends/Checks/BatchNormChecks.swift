import Tensors

extension BackendChecker {
    /// Batch normalisation: the training forward (y and both running statistics, momentum
    /// 0.1), its backward (dx, dgamma, dbeta), then the inference forward with the updated
    /// running statistics; and the same training pass through the synchronised path with a
    /// synchronisation that is the identity (one process), which must give the same numbers
    /// and must be called.
    func checkBatchNorm() {
        let shapes: [[Int]] = options.quick ? [[3, 16, 5, 5], [2, 7, 3, 3]] : [[3, 16, 9, 9], [1, 7, 5, 5], [2, 64, 4, 4], [3, 5, 1, 1], [8, 64, 28, 28]]
        for xShape in shapes {
            for synchronized in [false, true] {
                check(synchronized ? "batchnorm-sync" : "batchnorm", dims(xShape),
                      phases: synchronized ? ["training", "backward"] : ["training", "backward", "inference"]) { data in
                    let c = xShape[1], count = xShape.reduce(1, *)
                    // Off-centre inputs (mean 3, scale 2): the statistics must not lose digits to the mean.
                    let x = data.gaussian(count, mean: 3, scale: 2), dy = data.gaussian(count)
                    let gamma = data.gaussian(c, mean: 1, scale: 0.3), beta = data.gaussian(c, scale: 0.3)
                    let runningMean = data.gaussian(c, scale: 0.5), runningVariance = data.gaussian(c).map { 1 + abs($0) }
                    let xInference = data.gaussian(count, mean: 3, scale: 2)
                    let dxScale = Self.batchNormTermScale(x: x, channels: c, gamma: gamma, dy: dy)
                    return { run in
                        let op = try run.backend.makeBatchNorm(shape: xShape, epsilon: 1e-5)
                        var calls = 0
                        let synchronization: BatchNormSynchronization? = synchronized ? { calls += 1; return $0 } : nil
                        let xt = run.tensor(x, xShape), gt = run.tensor(gamma, [c]), bt = run.tensor(beta, [c])
                        let rm = run.tensor(runningMean, [c]), rv = run.tensor(runningVariance, [c])
                        let y = run.output(xShape)
                        run.timed("training") {
                            op.forwardTraining(x: xt, gamma: gt, beta: bt, y: y, runningMean: rm, runningVariance: rv, momentum: 0.1,
                                               synchronization: synchronization)
                        }
                        run.record("training", "y", y)
                        run.record("training", "running mean", rm)
                        run.record("training", "running variance", rv)
                        if synchronized { run.record("training", "synchronization called", values: [calls > 0 ? 1 : 0], .equal) }
                        calls = 0
                        let dyt = run.tensor(dy, xShape), dx = run.output(xShape), dg = run.output([c]), db = run.output([c])
                        run.timed("backward") {
                            op.backward(x: xt, gamma: gt, beta: bt, dy: dyt, dx: dx, dgamma: dg, dbeta: db, synchronization: synchronization)
                        }
                        // dx = γ/σ·(dy − mean dy − x̂·mean(dy·x̂)) nearly cancels on small batches:
                        // its error is measured against the size of its terms.
                        run.record("backward", "dx", dx, run.close(scale: dxScale))
                        run.record("backward", "dgamma", dg)
                        run.record("backward", "dbeta", db)
                        if synchronized { run.record("backward", "synchronization called", values: [calls > 0 ? 1 : 0], .equal) }
                        guard !synchronized else { return }
                        let xi = run.tensor(xInference, xShape), yi = run.output(xShape)
                        run.timed("inference") { op.forwardInference(x: xi, gamma: gt, beta: bt, y: yi, runningMean: rm, runningVariance: rv) }
                        run.record("inference", "y", yi)
                    }
                }
            }
        }
    }

    /// max_c |γ_c|/σ_c · max|dy|, σ_c the batch standard deviation of channel c of an NHWC `x`.
    static func batchNormTermScale(x: [Float], channels c: Int, gamma: [Float], dy: [Float]) -> Float {
        let n = x.count / c
        var largest = 0.0
        for ch in 0..<c {
            var sum = 0.0, squares = 0.0
            for i in stride(from: ch, to: x.count, by: c) { sum += Double(x[i]); squares += Double(x[i]) * Double(x[i]) }
            let mean = sum / Double(n)
            let sigma = (max(squares / Double(n) - mean * mean, 0) + 1e-5).squareRoot()
            largest = max(largest, Double(abs(gamma[ch])) / sigma)
        }
        return Float(largest) * (dy.map(abs).max() ?? 0)
    }
}
