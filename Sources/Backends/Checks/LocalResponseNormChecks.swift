import Tensors

extension BackendChecker {
    /// LRN forward and backward with VGG's A-LRN parameters (size 5, α 1e-4, β 0.75, k 2),
    /// size 3, and a strong normalisation where every term of the window sum matters.
    func checkLocalResponseNorm() {
        let parameters = [
            LocalResponseNormParameters(),
            LocalResponseNormParameters(size: 3, alpha: 1e-4, beta: 0.75, k: 2),
            LocalResponseNormParameters(size: 5, alpha: 2, beta: 0.75, k: 1),
        ]
        let shapes: [[Int]] = options.quick ? [[3, 16, 5, 5], [1, 7, 3, 5]] : [[3, 16, 9, 9], [1, 7, 5, 5], [2, 64, 7, 7], [3, 3, 11, 5], [2, 64, 56, 56]]
        for xShape in shapes {
            for p in parameters where !(options.quick && p.size == 3) {
                let shape = "\(dims(xShape)), size \(p.size) α \(p.alpha) β \(p.beta) k \(p.k)"
                check("lrn", shape, phases: ["forward", "backward"]) { data in
                    let x = data.gaussian(xShape.reduce(1, *)), dy = data.gaussian(xShape.reduce(1, *))
                    return { run in
                        let op = try run.backend.makeLocalResponseNorm(shape: xShape, p)
                        let xt = run.tensor(x, xShape), y = run.output(xShape)
                        run.timed("forward") { op.forward(x: xt, y: y) }
                        run.record("forward", "y", y)
                        let dyt = run.tensor(dy, xShape), dx = run.output(xShape)
                        run.timed("backward") { op.backward(x: xt, dy: dyt, dx: dx) }
                        run.record("backward", "dx", dx)
                    }
                }
            }
        }
    }
}
