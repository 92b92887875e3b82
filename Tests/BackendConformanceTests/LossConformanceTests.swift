import XCTest
import CPUBackend
import ReferenceBackend
import Support
import Tensors

/// Soft-max, soft-max cross-entropy (with and without label smoothing, statistics
/// included) and its gradient of the `cpu` backend against the reference.
final class LossConformanceTests: XCTestCase {
    static let shapes: [(n: Int, k: Int, scale: Float)] = [(3, 10, 1), (1, 5, 3), (4, 1000, 4), (5, 2, 2), (7, 3, 0.5), (2, 1, 1)]

    func testSoftmaxMatchesTheReference() throws {
        var data = TestData(seed: 11)
        let cpu = try Conformance.cpu()
        for (n, k, scale) in Self.shapes {
            // Large offsets: a soft-max that does not subtract the maximum overflows.
            let logits = data.tensor([n, k], mean: 50, scale: scale)
            var results: [[Float]] = []
            for backend in [cpu as any Backend, Conformance.reference] {
                let p = filled([n, k])
                backend.softmax(logits, into: p)
                results.append(p.toArray())
            }
            assertClose(results[0], results[1], "softmax \(n)×\(k)")
        }
    }

    func testCrossEntropyMatchesTheReference() throws {
        var data = TestData(seed: 12)
        let cpu = try Conformance.cpu()
        for (n, k, scale) in Self.shapes {
            for smoothing in [Float(0), 0.1, 0.3] {
                let what = "cross-entropy \(n)×\(k) label smoothing \(smoothing)"
                let logits = data.tensor([n, k], mean: -20, scale: scale)
                let labels = Tensor((0..<n).map { _ in Float(data.rng.nextInt(below: k)) }, shape: [n], on: HostMemory.shared)
                var probabilities: [[Float]] = [], statistics: [[Float]] = [], gradients: [[Float]] = []
                for backend in [cpu as any Backend, Conformance.reference] {
                    let p = filled([n, k]), s = filled([2]), g = filled([n, k])
                    backend.softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: smoothing, probabilities: p, statistics: s)
                    backend.softmaxCrossEntropyBackward(probabilities: p, labels: labels, labelSmoothing: smoothing, normalizer: p.shape[0], gradient: g)
                    probabilities.append(p.toArray())
                    statistics.append(s.toArray())
                    gradients.append(g.toArray())
                }
                assertClose(probabilities[0], probabilities[1], "probabilities, \(what)")
                assertClose([statistics[0][0]], [statistics[1][0]], "mean loss, \(what)")
                XCTAssertEqual(statistics[0][1], statistics[1][1], "correct count, \(what)")
                assertClose(gradients[0], gradients[1], "gradient, \(what)")
            }
        }
    }

    /// Ties among the largest logits: the first one counts (a sample labelled with the
    /// second tied class is not correct).
    func testCorrectCountTakesTheFirstMaximum() throws {
        let cpu = try Conformance.cpu()
        let logits = Tensor([1, 3, 3, 0,
                             2, 2, 0, 1,
                             0, 0, 0, 0,
                             5, 1, 2, 5], shape: [4, 4], on: HostMemory.shared)
        let labels = Tensor([2, 0, 0, 3], shape: [4], on: HostMemory.shared)
        for backend in [cpu as any Backend, Conformance.reference] {
            let p = filled([4, 4]), s = filled([2])
            backend.softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0, probabilities: p, statistics: s)
            XCTAssertEqual(s.toArray()[1], 2, "\(backend.name): samples 1 and 2 are correct, 0 and 3 are not")
        }
    }
}
