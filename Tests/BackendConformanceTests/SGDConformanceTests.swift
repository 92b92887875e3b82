import XCTest
import CPUBackend
import ReferenceBackend
import Tensors

/// The optimizer step of the `cpu` backend against the reference: without momentum, with
/// momentum (first and later steps), dampening and Nesterov, over two segments with their
/// own learning rate and weight decay and elements outside both, which must stay untouched.
final class SGDConformanceTests: XCTestCase {
    static let segments = [
        SGDUpdate.Segment(offset: 3, count: 40, learningRate: 0.1, weightDecay: 5e-4),
        SGDUpdate.Segment(offset: 50, count: 37, learningRate: 0.02, weightDecay: 0),
    ]
    static let size = 100
    /// Elements in no segment.
    static let gaps = Array(0..<3) + Array(43..<50) + Array(87..<100)

    func testSGDMatchesTheReference() throws {
        let cpu = try Conformance.cpu()
        let settings: [(momentum: Float, dampening: Float, nesterov: Bool)] = [
            (0, 0, false), (0.9, 0, false), (0.9, 0.1, false), (0.9, 0, true), (0.5, 0.5, true),
        ]
        var data = TestData(seed: 13)
        for s in settings {
            let what = "SGD momentum \(s.momentum) dampening \(s.dampening) nesterov \(s.nesterov)"
            let values = data.gaussian(Self.size), buffer = data.gaussian(Self.size)
            let gradientSteps = (0..<3).map { _ in data.gaussian(Self.size) }
            var results: [[[Float]]] = []
            for backend in [cpu as any Backend, Conformance.reference] {
                let w = Tensor(values, shape: [Self.size], on: HostMemory.shared)
                let b = Tensor(buffer, shape: [Self.size], on: HostMemory.shared)
                var history: [[Float]] = []
                for (step, gradient) in gradientSteps.enumerated() {
                    let g = Tensor(gradient, shape: [Self.size], on: HostMemory.shared)
                    backend.sgdUpdate(SGDUpdate(values: w, gradients: g, momentumBuffer: b, segments: Self.segments,
                                                momentum: s.momentum, dampening: s.dampening, nesterov: s.nesterov,
                                                isFirstStep: step == 0))
                    history += [w.toArray(), b.toArray()]
                }
                results.append(history)
                for i in Self.gaps {
                    XCTAssertEqual(w.toArray()[i].bitPattern, values[i].bitPattern, "\(backend.name) value \(i) outside the segments, \(what)")
                    XCTAssertEqual(b.toArray()[i].bitPattern, buffer[i].bitPattern, "\(backend.name) buffer \(i) outside the segments, \(what)")
                }
                if s.momentum == 0 {
                    XCTAssertEqual(b.toArray(), buffer, "\(backend.name): no momentum, no buffer, \(what)")
                }
            }
            for k in results[0].indices {
                assertClose(results[0][k], results[1][k], "\(k % 2 == 0 ? "values" : "buffer") after step \(k / 2 + 1), \(what)")
            }
        }
    }

    /// The reference's first step by hand: b ← d = g + λw; w ← w − η·b (or − η·(d + μ·b)).
    func testReferenceFirstStepByHand() {
        for nesterov in [false, true] {
            let w = Tensor([1, 2, 3], shape: [3], on: HostMemory.shared), g = Tensor([0.5, -1, 0], shape: [3], on: HostMemory.shared)
            let b = Tensor([9, 9, 9], shape: [3], on: HostMemory.shared)
            Conformance.reference.sgdUpdate(SGDUpdate(values: w, gradients: g, momentumBuffer: b,
                                                      segments: [.init(offset: 0, count: 2, learningRate: 0.5, weightDecay: 0.5)],
                                                      momentum: 0.5, dampening: 0.5, nesterov: nesterov, isFirstStep: true))
            // d = (0.5 + 0.5, −1 + 1) = (1, 0); b = d (no dampening on the first step).
            XCTAssertEqual(b.toArray(), [1, 0, 9])
            XCTAssertEqual(w.toArray(), nesterov ? [1 - 0.5 * 1.5, 2, 3] : [0.5, 2, 3])
        }
    }
}
