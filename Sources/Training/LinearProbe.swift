import Foundation

/// A linear classifier trained on fixed features (`vgg linear-probe`): scores
/// `s = W·x̂ + b` over the standardised features `x̂ = (x − mean) / scale`.
///
/// The objective, minimised over W and b by L-BFGS (or plain full-batch gradient descent),
/// is the mean loss over the n training rows plus `λ/2·‖W‖²` (the bias is not penalised):
/// - `logistic`: multinomial logistic regression (soft-max cross-entropy). This is
///   scikit-learn's `LogisticRegression(C=1/(n·λ))` (multinomial, lbfgs) on the same inputs.
/// - `svm`: one-vs-rest linear SVMs with the squared hinge loss, `Σ_c max(0, 1 − y_c·s_c)²`
///   with `y_c = ±1` (LinearSVC's loss, though LinearSVC also penalises the bias).
public struct LinearProbe: Codable, Sendable {
    /// The classifier's loss: `logistic` (multinomial soft-max cross-entropy) or `svm`
    /// (one-vs-rest squared hinge); `vgg linear-probe --classifier`.
    public enum Loss: String, Codable, CaseIterable, Sendable { case logistic, svm }
    /// How the objective is minimised: `lbfgs` (L-BFGS, its own step sizes) or `gd` (full-batch
    /// gradient descent with ``Options/learningRate``); `vgg linear-probe --optimizer`.
    public enum Optimizer: String, Codable, CaseIterable, Sendable { case lbfgs, gd }

    /// How to train.
    public struct Options: Sendable {
        public var loss: Loss = .logistic
        /// λ of the L2 penalty `λ/2·‖W‖²`.
        public var weightDecay: Double = 1e-4
        /// L-BFGS iterations at most, or gradient-descent steps.
        public var iterations: Int = 300
        public var optimizer: Optimizer = .lbfgs
        /// Step of gradient descent (L-BFGS chooses its own).
        public var learningRate: Double = 0.5
        /// Standardise every feature with the training rows' mean and standard deviation.
        public var standardize: Bool = true
        public init() {}
    }

    public let classes: Int
    public let dimension: Int
    public let loss: Loss
    /// Row-major `[classes × dimension]`, on the standardised features.
    public var weights: [Double]
    public var bias: [Double]
    /// Per-feature shift and divisor of the standardisation (0 and 1 without it).
    public var mean: [Double]
    public var scale: [Double]
    /// Iterations done, and the objective reached.
    public var iterations = 0
    public var objective = 0.0

    /// Trains on `count` rows of `features` (row-major, `dimension` wide) with labels in `0..<classes`.
    public static func train(features: [Float], labels: [Int], dimension: Int, classes: Int, options: Options = Options()) throws -> LinearProbe {
        let n = labels.count
        guard n > 0, features.count == n * dimension else { throw FeatureError("\(features.count) feature values for \(n) rows of \(dimension)") }
        guard classes >= 2 else { throw FeatureError("a linear probe needs at least two classes") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) { throw FeatureError("label \(bad) outside 0..<\(classes)") }
        var mean = [Double](repeating: 0, count: dimension), scale = [Double](repeating: 1, count: dimension)
        if options.standardize {
            var sq = [Double](repeating: 0, count: dimension)
            for r in 0..<n { for j in 0..<dimension { let v = Double(features[r * dimension + j]); mean[j] += v; sq[j] += v * v } }
            for j in 0..<dimension {
                mean[j] /= Double(n)
                let variance = max(sq[j] / Double(n) - mean[j] * mean[j], 0)
                scale[j] = variance > 1e-12 ? variance.squareRoot() : 1
            }
        }
        var probe = LinearProbe(classes: classes, dimension: dimension, loss: options.loss,
                                weights: [Double](repeating: 0, count: classes * dimension), bias: [Double](repeating: 0, count: classes),
                                mean: mean, scale: scale)
        let x = probe.standardized(features)
        let objective = Objective(x: x, labels: labels, dimension: dimension, classes: classes, loss: options.loss, lambda: options.weightDecay)
        let start = [Double](repeating: 0, count: classes * (dimension + 1))
        let solution: [Double]
        switch options.optimizer {
        case .lbfgs:
            let r = LBFGS(maxIterations: options.iterations, gradientTolerance: 1e-7).minimize(start, objective.evaluate)
            (solution, probe.objective, probe.iterations) = (r.x, r.value, r.iterations)
        case .gd:
            var w = start
            for _ in 0..<options.iterations {
                let g = objective.evaluate(w).gradient
                for i in w.indices { w[i] -= options.learningRate * g[i] }
            }
            (solution, probe.objective, probe.iterations) = (w, objective.evaluate(w).value, options.iterations)
        }
        probe.weights = Array(solution[0..<(classes * dimension)])
        probe.bias = Array(solution[(classes * dimension)...])
        return probe
    }

    /// Scores `[count × classes]` of row-major features.
    public func scores(_ features: [Float]) -> [Float] {
        let x = standardized(features)
        let n = x.count / dimension
        var out = [Float](repeating: 0, count: n * classes)
        for r in 0..<n {
            for c in 0..<classes {
                var s = bias[c]
                for j in 0..<dimension { s += weights[c * dimension + j] * Double(x[r * dimension + j]) }
                out[r * classes + c] = Float(s)
            }
        }
        return out
    }

    /// Soft-max of the scores, `[count × classes]` (posteriors for the logistic loss; for the
    /// SVM only an order of the classes).
    public func probabilities(_ features: [Float]) -> [Float] {
        var s = scores(features)
        for r in 0..<(s.count / classes) {
            let row = (r * classes)..<((r + 1) * classes)
            let m = s[row].max()!
            var total: Float = 0
            for i in row { s[i] = exp(s[i] - m); total += s[i] }
            for i in row { s[i] /= total }
        }
        return s
    }

    /// The class of highest score of every row.
    public func predictions(_ features: [Float]) -> [Int] {
        let s = scores(features)
        return (0..<(s.count / classes)).map { r in
            let row = s[(r * classes)..<((r + 1) * classes)]
            return row.indices.max { row[$0] < row[$1] }! - r * classes
        }
    }

    private func standardized(_ features: [Float]) -> [Float] {
        let d = dimension
        return features.enumerated().map { i, v in Float((Double(v) - mean[i % d]) / scale[i % d]) }
    }
}

/// The training objective of `LinearProbe` over parameters `[W (classes × dimension), b]`:
/// value and gradient, summed over chunks of rows in parallel.
private struct Objective: @unchecked Sendable {
    let x: [Float]
    let labels: [Int]
    let dimension: Int
    let classes: Int
    let loss: LinearProbe.Loss
    let lambda: Double

    func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let n = labels.count, d = dimension, k = classes
        let chunks = min(max(1, ProcessInfo.processInfo.activeProcessorCount), max(1, n / 256))
        var partial = [[Double]](repeating: [], count: chunks)
        var values = [Double](repeating: 0, count: chunks)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: chunks) { part in
            var grad = [Double](repeating: 0, count: k * (d + 1))
            var value = 0.0
            var s = [Double](repeating: 0, count: k)
            for r in (part * n / chunks)..<((part + 1) * n / chunks) {
                let row = r * d
                for c in 0..<k {
                    var acc = theta[k * d + c]
                    let w = c * d
                    for j in 0..<d { acc += theta[w + j] * Double(x[row + j]) }
                    s[c] = acc
                }
                let y = labels[r]
                switch loss {
                case .logistic:
                    let m = s.max()!
                    var total = 0.0
                    for c in 0..<k { s[c] = Foundation.exp(s[c] - m); total += s[c] }
                    value -= Foundation.log(s[y] / total)
                    for c in 0..<k { s[c] = s[c] / total - (c == y ? 1 : 0) }
                case .svm:
                    for c in 0..<k {
                        let sign: Double = c == y ? 1 : -1
                        let slack = max(0, 1 - sign * s[c])
                        value += slack * slack
                        s[c] = -2 * sign * slack
                    }
                }
                // s now holds ∂loss/∂scores.
                for c in 0..<k where s[c] != 0 {
                    let gc = s[c], w = c * d
                    for j in 0..<d { grad[w + j] += gc * Double(x[row + j]) }
                    grad[k * d + c] += gc
                }
            }
            lock.lock(); partial[part] = grad; values[part] = value; lock.unlock()
        }
        var gradient = [Double](repeating: 0, count: k * (d + 1))
        for p in partial { for i in gradient.indices { gradient[i] += p[i] } }
        let inv = 1 / Double(n)
        var value = values.reduce(0, +) * inv
        for i in gradient.indices { gradient[i] *= inv }
        for i in 0..<(k * d) {
            value += 0.5 * lambda * theta[i] * theta[i]
            gradient[i] += lambda * theta[i]
        }
        return (value, gradient)
    }
}
