import Tensors

extension BackendChecker {
    /// The in-place addition `y ← y + x` that `vgg train --reproducible` sums its gradients
    /// with, bit for bit: one float32 addition per element leaves no room for a difference.
    /// The inputs include zeros of both signs (+0 + −0 is +0), values that cancel exactly,
    /// and counts that no vector width or thread split divides.
    func checkAdd() {
        for count in options.quick ? [7, 100_003] : [1, 7, 100_003, 1_000_003] {
            check("add", "\(count)", phases: ["in-place"]) { data in
                var x = data.gaussian(count), y = data.gaussian(count)
                for i in stride(from: 0, to: count, by: 5) { x[i] = -0.0; y[i] = i % 2 == 0 ? 0 : -0.0 }
                for i in stride(from: 3, to: count, by: 7) { x[i] = -y[i] }
                return { run in
                    let a = run.tensor(x, [count]), b = run.tensor(y, [count])
                    run.timed("in-place") { run.backend.add(a, to: b) }
                    run.record("in-place", "y", b, .identical)
                    run.record("in-place", "x unchanged", a, .identical)
                }
            }
        }
    }
}
