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

    /// An update of several 65,536-element chunks is shared among the configuration's threads:
    /// 1, 2 and 3 threads (chunks left over for some workers) give the same bits, and the
    /// reference's values within its tolerance.
    func testSGDOnAnyThreadCountGivesTheSameBits() throws {
        let size = 5 * 65_536 + 123
        let segments = [SGDUpdate.Segment(offset: 7, count: 3 * 65_536, learningRate: 0.1, weightDecay: 5e-4),
                        SGDUpdate.Segment(offset: 3 * 65_536 + 100, count: 2 * 65_536, learningRate: 0.02, weightDecay: 0)]
        var data = TestData(seed: 17)
        let values = data.gaussian(size), buffer = data.gaussian(size)
        let gradients = (0..<2).map { _ in data.gaussian(size) }
        func run(_ backend: any Backend) -> [Float] {
            let w = Tensor(values, shape: [size], on: HostMemory.shared), b = Tensor(buffer, shape: [size], on: HostMemory.shared)
            for (step, gradient) in gradients.enumerated() {
                backend.sgdUpdate(SGDUpdate(values: w, gradients: Tensor(gradient, shape: [size], on: HostMemory.shared),
                                            momentumBuffer: b, segments: segments, momentum: 0.9, dampening: 0, nesterov: false,
                                            isFirstStep: step == 0))
            }
            return w.toArray() + b.toArray()
        }
        let one = run(try CPUBackend(configuration: CPUBackendConfiguration(threads: 1)))
        for threads in [2, 3] {
            let other = run(try CPUBackend(configuration: CPUBackendConfiguration(threads: threads)))
            XCTAssertEqual(other.map(\.bitPattern), one.map(\.bitPattern), "\(threads) threads against 1")
        }
        assertClose(one, run(Conformance.reference), "1 thread against the reference")
        XCTAssertEqual(Array(one[0..<7]), Array(values[0..<7]), "elements before the first segment untouched")
        _ = try Conformance.cpu()  // OpenMP's thread count back to the default for the tests after this one
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
