/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4/7.5) with a backtracking line search
/// under the Armijo condition: minimises a smooth function given its value and gradient.
/// Meant for small convex problems on the host (`LinearProbe`), in Double precision.
public struct LBFGS: Sendable {
    /// Correction pairs kept.
    public var memory = 10
    public var maxIterations = 500
    /// Stops when the largest gradient component falls below this.
    public var gradientTolerance = 1e-6
    /// Stops when an iteration lowers the value by less than this, relative to it.
    public var relativeTolerance = 1e-12

    public init(maxIterations: Int = 500, gradientTolerance: Double = 1e-6) {
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
    }

    /// The minimum found from `x0`, its value, and the iterations done.
    public func minimize(_ x0: [Double], _ f: ([Double]) -> (value: Double, gradient: [Double])) -> (x: [Double], value: Double, iterations: Int) {
        var x = x0
        var (fx, g) = f(x)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        var iteration = 0
        func dot(_ a: [Double], _ b: [Double]) -> Double { var t = 0.0; for i in a.indices { t += a[i] * b[i] }; return t }
        while iteration < maxIterations {
            if g.map(abs).max() ?? 0 < gradientTolerance { break }
            // Two-loop recursion: d = −H·g.
            var q = g
            var alpha = [Double](repeating: 0, count: s.count)
            for k in s.indices.reversed() {
                alpha[k] = rho[k] * dot(s[k], q)
                for i in q.indices { q[i] -= alpha[k] * y[k][i] }
            }
            let gamma = s.isEmpty ? 1 / max(g.map(abs).reduce(0, +), 1e-12) * Double(g.count).squareRoot()
                                  : dot(s.last!, y.last!) / dot(y.last!, y.last!)
            for i in q.indices { q[i] *= gamma }
            for k in s.indices {
                let beta = rho[k] * dot(y[k], q)
                for i in q.indices { q[i] += s[k][i] * (alpha[k] - beta) }
            }
            var d = q.map { -$0 }
            var slope = dot(g, d)
            if slope >= 0 {  // not a descent direction: restart from steepest descent
                s = []; y = []; rho = []
                d = g.map { -$0 }; slope = dot(g, d)
            }
            var step = 1.0
            var accepted: (x: [Double], value: Double, gradient: [Double])?
            for _ in 0..<60 {
                let xn = zip(x, d).map { $0 + step * $1 }
                let (fn, gn) = f(xn)
                if fn.isFinite && fn <= fx + 1e-4 * step * slope { accepted = (xn, fn, gn); break }
                step *= 0.5
            }
            guard let a = accepted else { break }
            iteration += 1
            let sk = zip(a.x, x).map { $0 - $1 }, yk = zip(a.gradient, g).map { $0 - $1 }
            let sy = dot(sk, yk)
            if sy > 1e-12 {
                s.append(sk); y.append(yk); rho.append(1 / sy)
                if s.count > memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            let decrease = fx - a.value
            (x, fx, g) = (a.x, a.value, a.gradient)
            if decrease <= relativeTolerance * max(abs(fx), 1) { break }
        }
        return (x, fx, iteration)
    }
}
