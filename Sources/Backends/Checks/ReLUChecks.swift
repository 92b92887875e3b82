import Tensors

extension BackendChecker {
    /// ReLU in place, forward and backward, exact (a ReLU only copies or zeroes); inputs
    /// include exact zeros and negative zeros, and counts that no vector width divides.
    func checkReLU() {
        let counts = options.quick ? [7, 3 * 13 * 7 * 5] : [1, 7, 3 * 13 * 7 * 5, 100_003, 4 * 64 * 56 * 56 + 3]
        for count in counts {
            check("relu", "\(count)", phases: ["forward", "backward"]) { data in
                var x = data.gaussian(count)
                for i in stride(from: 0, to: count, by: 5) { x[i] = 0 }
                for i in stride(from: 3, to: count, by: 11) { x[i] = -0.0 }
                let gradient = data.gaussian(count)
                return { run in
                    let op = try run.backend.makeReLU(count: count)
                    let y = run.tensor(x, [count])
                    run.timed("forward") { op.forward(y) }
                    // Compared as numbers: −0 and +0 are both a zero output.
                    run.record("forward", "y", y, .equal)
                    let g = run.tensor(gradient, [count])
                    run.timed("backward") { op.backward(output: y, gradient: g) }
                    run.record("backward", "dx", g, .equal)
                }
            }
        }
    }
}
