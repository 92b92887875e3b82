import XCTest
import CPUBackend
import ReferenceBackend
import Tensors

/// Local response normalisation and batch normalisation of the `cpu` backend (oneDNN)
/// against the reference, forward and backward.
final class NormalisationConformanceTests: XCTestCase {
    func testLocalResponseNormMatchesTheReference() throws {
        var data = TestData(seed: 5)
        let cpu = try Conformance.cpu()
        let parameters = [
            LocalResponseNormParameters(),                                 // VGG's A-LRN: size 5, α 1e-4, β 0.75, k 2
            LocalResponseNormParameters(size: 3, alpha: 1e-4, beta: 0.75, k: 2),
            // Strong normalisation, so that every term of the window sum matters.
            LocalResponseNormParameters(size: 5, alpha: 2, beta: 0.75, k: 1),
            LocalResponseNormParameters(size: 3, alpha: 1.5, beta: 0.6, k: 0.5),
        ]
        for shape in [[3, 13, 7, 5], [1, 5, 4, 4], [2, 3, 5, 7], [2, 2, 3, 3], [1, 1, 2, 3]] {
            for p in parameters {
                let x = data.tensor(shape), dy = data.tensor(shape)
                var ys: [[Float]] = [], dxs: [[Float]] = []
                for backend in [cpu as any Backend, Conformance.reference] {
                    let op = try backend.makeLocalResponseNorm(shape: shape, p)
                    XCTAssertEqual(op.parameters, p)
                    let y = filled(shape), dx = filled(shape)
                    op.forward(x: x, y: y)
                    op.backward(x: x, dy: dy, dx: dx)
                    ys.append(y.toArray())
                    dxs.append(dx.toArray())
                }
                assertClose(ys[0], ys[1], "LRN forward \(shape) \(p)")
                assertClose(dxs[0], dxs[1], "LRN backward \(shape) \(p)")
            }
        }
    }

    static let batchNormShapes: [[Int]] = [[3, 5, 7, 5], [1, 13, 3, 3], [2, 3, 1, 1], [1, 3, 1, 1], [4, 16, 8, 8]]

    /// Training forward (y and both running statistics), its backward, then inference with
    /// the updated running statistics.
    func testBatchNormMatchesTheReference() throws {
        var data = TestData(seed: 6)
        let cpu = try Conformance.cpu()
        for shape in Self.batchNormShapes {
            let c = shape[1]
            // Off-centre inputs (mean 3, scale 2): the statistics must not lose digits to it.
            let x = data.tensor(shape, mean: 3, scale: 2), dy = data.tensor(shape)
            let gamma = data.tensor([c], mean: 1, scale: 0.3), beta = data.tensor([c], scale: 0.3)
            let runningMean = data.tensor([c], scale: 0.5), runningVariance = Tensor(data.gaussian(c).map { 1 + abs($0) },
                                                                                      shape: [c], on: HostMemory.shared)
            let xInference = data.tensor(shape, mean: 3, scale: 2)
            var results: [String: [[Float]]] = [:]
            for backend in [cpu as any Backend, Conformance.reference] {
                let op = try backend.makeBatchNorm(shape: shape, epsilon: 1e-5)
                XCTAssertEqual(op.epsilon, 1e-5)
                let y = filled(shape), dx = filled(shape), dgamma = filled([c]), dbeta = filled([c])
                let rm = copy(of: runningMean), rv = copy(of: runningVariance)
                op.forwardTraining(x: x, gamma: gamma, beta: beta, y: y, runningMean: rm, runningVariance: rv, momentum: 0.1, synchronization: nil)
                op.backward(x: x, gamma: gamma, beta: beta, dy: dy, dx: dx, dgamma: dgamma, dbeta: dbeta, synchronization: nil)
                let yInference = filled(shape)
                op.forwardInference(x: xInference, gamma: gamma, beta: beta, y: yInference, runningMean: rm, runningVariance: rv)
                results[backend.name] = [y.toArray(), rm.toArray(), rv.toArray(), dx.toArray(), dgamma.toArray(),
                                         dbeta.toArray(), yInference.toArray()]
            }
            let (cr, rr) = (results["cpu"]!, results["reference"]!)
            for (k, name) in ["forward", "running mean", "running variance", "dx", "dgamma", "dbeta", "inference"].enumerated() {
                // dx = γ/σ·(dy − mean dy − x̂·mean(dy·x̂)) cancels to nearly 0 when n is 2 (x̂ = ±1):
                // its error is measured against the size of its terms, max|γ/σ|·max|dy|.
                let scale = name == "dx" ? termScale(x: x, gamma: gamma, dy: dy) : 0
                assertClose(cr[k], rr[k], scale: scale, "batch norm \(name) \(shape)")
            }
        }
    }

    /// max_c |γ_c|/σ_c · max|dy|, σ_c the batch standard deviation of channel c (NHWC x).
    private func termScale(x: Tensor, gamma: Tensor, dy: Tensor) -> Float {
        let c = x.shape[1], values = x.toArray(), n = values.count / c
        var largest: Double = 0
        for ch in 0..<c {
            let column = stride(from: ch, to: values.count, by: c).map { Double(values[$0]) }
            let mean = column.reduce(0, +) / Double(n)
            let sigma = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n) + 1e-5).squareRoot()
            largest = max(largest, Double(abs(gamma.toArray()[ch])) / sigma)
        }
        return Float(largest) * dy.toArray().map(abs).max()!
    }
}
