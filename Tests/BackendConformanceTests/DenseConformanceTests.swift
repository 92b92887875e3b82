import XCTest
import CPUBackend
import ReferenceBackend
import Tensors

/// The fully connected layer, ReLU and permutes of the `cpu` backend against the reference.
final class DenseConformanceTests: XCTestCase {
    func testLinearMatchesTheReference() throws {
        var data = TestData(seed: 7)
        let cpu = try Conformance.cpu()
        for (n, input, output) in [(3, 13, 5), (1, 7, 3), (4, 64, 40), (3, 257, 33), (2, 5, 1)] {
            for propagateDown in [true, false] {
                let what = "linear \(n)×\(input)→\(output) propagateDown \(propagateDown)"
                let x = data.tensor([n, input]), dy = data.tensor([n, output])
                let weight = data.tensor([output, input], scale: 1 / Float(input).squareRoot()), bias = data.tensor([output])
                var results: [[[Float]]] = []
                for backend in [cpu as any Backend, Conformance.reference] {
                    let op = try backend.makeLinear(batch: n, inFeatures: input, outFeatures: output, propagateDown: propagateDown)
                    XCTAssertEqual([op.batch, op.inFeatures, op.outFeatures], [n, input, output])
                    XCTAssertEqual(op.propagateDown, propagateDown)
                    let y = filled([n, output]), dx = filled([n, input], with: propagateDown ? .nan : 7)
                    let dweight = filled([output, input]), dbias = filled([output])
                    op.forward(x: x, weight: weight, bias: bias, y: y)
                    op.backward(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
                    results.append([y.toArray(), dweight.toArray(), dbias.toArray(), dx.toArray()])
                }
                assertSameParameterisedResults(results, propagateDown: propagateDown, what)
            }
        }
    }

    /// Exact: a ReLU only copies or zeroes. Inputs include exact zeros and negative zeros.
    func testReLUMatchesTheReference() throws {
        var data = TestData(seed: 8)
        let cpu = try Conformance.cpu()
        for count in [1, 7, 3 * 13 * 7 * 5, 100_003] {
            var values = data.gaussian(count)
            for i in stride(from: 0, to: count, by: 5) { values[i] = 0 }
            for i in stride(from: 3, to: count, by: 11) { values[i] = -0.0 }
            let gradient = data.gaussian(count)
            var outputs: [[Float]] = [], gradients: [[Float]] = []
            for backend in [cpu as any Backend, Conformance.reference] {
                let op = try backend.makeReLU(count: count)
                XCTAssertEqual(op.count, count)
                let x = Tensor(values, shape: [count], on: HostMemory.shared)
                op.forward(x)
                let g = Tensor(gradient, shape: [count], on: HostMemory.shared)
                op.backward(output: x, gradient: g)
                outputs.append(x.toArray())
                gradients.append(g.toArray())
            }
            // Compared as numbers, not bits: −0 and +0 are both a zero output.
            XCTAssertEqual(outputs[0], outputs[1], "ReLU forward of \(count)")
            XCTAssertEqual(outputs[1], values.map { $0 > 0 ? $0 : 0 }, "reference ReLU forward of \(count)")
            XCTAssertEqual(gradients[0], gradients[1], "ReLU backward of \(count)")
        }
    }

    func testPermuteMatchesTheReference() throws {
        var data = TestData(seed: 9)
        let cpu = try Conformance.cpu()
        for shape in [[3, 13, 7, 5], [1, 3, 2, 2], [2, 1, 4, 3], [2, 5, 1, 1]] {
            for (from, to) in [(MemoryLayout4D.nchw, MemoryLayout4D.nhwc), (.nhwc, .nchw), (.nhwc, .nhwc), (.nchw, .nchw)] {
                let x = data.tensor(shape, layout: from)
                var results: [[Float]] = []
                for backend in [cpu as any Backend, Conformance.reference] {
                    let y = filled(shape, layout: to)
                    backend.permute(x, into: y)
                    results.append(y.toArray())
                }
                assertIdentical(results[0], results[1], "permute \(shape) \(from) → \(to)")
                let values = x.toArray()
                let expected = from == to ? values
                    : from == .nchw ? HostLayout.nhwc(fromNCHW: values, shape: shape) : HostLayout.nchw(fromNHWC: values, shape: shape)
                assertIdentical(results[1], expected, "reference permute \(shape) \(from) → \(to)")
            }
        }
    }
}
