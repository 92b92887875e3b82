import XCTest
import CPUBackend
import ReferenceBackend
import Support
import Tensors

/// Max pooling (the `cpu` backend's hand-written 2×2 kernel and oneDNN's for other windows)
/// and adaptive average pooling against the reference.
final class PoolingConformanceTests: XCTestCase {
    static let maxPoolings: [PoolingGeometry] = [
        PoolingGeometry(batch: 3, channels: 13, height: 7, width: 5, kernel: 2, stride: 2),
        PoolingGeometry(batch: 1, channels: 16, height: 8, width: 8, kernel: 2, stride: 2),
        PoolingGeometry(batch: 2, channels: 5, height: 7, width: 5, kernel: 3, stride: 2, padding: 1),
        PoolingGeometry(batch: 3, channels: 3, height: 8, width: 6, kernel: 3, stride: 2, padding: 1),
        PoolingGeometry(batch: 2, channels: 5, height: 7, width: 5, kernel: 3, stride: 1, padding: 1),
        PoolingGeometry(batch: 1, channels: 13, height: 7, width: 7, kernel: 3, stride: 2),
    ]

    /// Distinct values, so the maxima are unambiguous: forward identical (a maximum is
    /// exact), backward within the tolerance (overlapping windows add gradients).
    func testMaxPoolingMatchesTheReference() throws {
        var data = TestData(seed: 2)
        let cpu = try Conformance.cpu()
        for g in Self.maxPoolings {
            let x = Tensor(data.distinct(g.batch * g.channels * g.height * g.width),
                           shape: [g.batch, g.channels, g.height, g.width], layout: .nhwc, on: HostMemory.shared)
            let dy = data.tensor([g.batch, g.channels, g.outHeight, g.outWidth])
            let (y, dx) = try run(g, cpu: cpu, x: x, dy: dy)
            assertIdentical(y[0], y[1], "max pooling forward \(g)")
            assertClose(dx[0], dx[1], "max pooling backward \(g)")
        }
    }

    /// Small integers, ties in nearly every window: both must route the gradient to the
    /// first maximum in row-major window order.
    func testMaxPoolingTiesGoToTheFirstMaximum() throws {
        let cpu = try Conformance.cpu()
        for g in Self.maxPoolings {
            let count = g.batch * g.channels * g.height * g.width
            let x = Tensor((0..<count).map { Float(($0 * 7919) % 3) }, shape: [g.batch, g.channels, g.height, g.width],
                           layout: .nhwc, on: HostMemory.shared)
            let dy = Tensor((0..<(g.batch * g.channels * g.outHeight * g.outWidth)).map { Float($0 % 11) - 5 },
                            shape: [g.batch, g.channels, g.outHeight, g.outWidth], layout: .nhwc, on: HostMemory.shared)
            let (y, dx) = try run(g, cpu: cpu, x: x, dy: dy)
            assertIdentical(y[0], y[1], "max pooling forward with ties \(g)")
            assertIdentical(dx[0], dx[1], "max pooling backward with ties \(g)")   // integer sums: exact
        }
    }

    /// (forwards, backwards) of cpu and reference.
    private func run(_ g: PoolingGeometry, cpu: CPUBackend, x: Tensor, dy: Tensor) throws -> ([[Float]], [[Float]]) {
        var ys: [[Float]] = [], dxs: [[Float]] = []
        for backend in [cpu as any Backend, Conformance.reference] {
            let op = try backend.makeMaxPooling(g)
            XCTAssertEqual(op.geometry, g)
            let y = filled([g.batch, g.channels, g.outHeight, g.outWidth])
            op.forward(x: x, y: y)
            let dx = filled(x.shape)
            op.backward(dy: dy, dx: dx)
            ys.append(y.toArray())
            dxs.append(dx.toArray())
        }
        return (ys, dxs)
    }

    func testAdaptiveAveragePoolMatchesTheReference() throws {
        var data = TestData(seed: 3)
        let cpu = try Conformance.cpu()
        let cases: [(shape: [Int], out: (Int, Int))] = [
            ([3, 13, 5, 7], (2, 3)), ([2, 5, 7, 7], (7, 7)), ([1, 3, 7, 5], (3, 2)),
            ([2, 8, 1, 1], (7, 7)), ([3, 5, 4, 4], (1, 1)), ([1, 3, 3, 2], (5, 4)),
        ]
        for (shape, (oh, ow)) in cases {
            let x = data.tensor(shape)
            let outShape = [shape[0], shape[1], oh, ow]
            let dy = data.tensor(outShape)
            var ys: [[Float]] = [], dxs: [[Float]] = []
            for backend in [cpu as any Backend, Conformance.reference] {
                let op = try backend.makeAdaptiveAveragePool(inputShape: shape, outHeight: oh, outWidth: ow)
                let y = filled(outShape), dx = filled(shape)
                op.forward(x: x, y: y)
                op.backward(dy: dy, dx: dx)
                ys.append(y.toArray())
                dxs.append(dx.toArray())
            }
            assertClose(ys[0], ys[1], "adaptive average pool forward \(shape) → \(oh)×\(ow)")
            assertClose(dxs[0], dxs[1], "adaptive average pool backward \(shape) → \(oh)×\(ow)")
            if shape[2] == oh && shape[3] == ow {
                assertIdentical(ys[1], x.toArray(), "reference identity pool \(shape)")
                assertIdentical(dxs[1], dy.toArray(), "reference identity pool backward \(shape)")
            }
        }
    }
}

extension PoolingConformanceTests {
    /// A NaN in a window wins it (PyTorch's `v > best || isnan(v)`) and takes its gradient:
    /// the `cpu` backend's hand-written 2×2 stride-2 kernel.
    func testMaxPoolingNaNWinsOnTheNative2x2Kernel() throws {
        try checkNaNWins(Self.maxPoolings.filter { $0.kernel == 2 && $0.stride == 2 && $0.padding == 0 })
    }

    private func checkNaNWins(_ geometries: [PoolingGeometry]) throws {
        var data = TestData(seed: 4)
        let cpu = try Conformance.cpu()
        for g in geometries {
            var values = data.distinct(g.batch * g.channels * g.height * g.width)
            for i in stride(from: 5, to: values.count, by: 17) { values[i] = .nan }
            let x = Tensor(values, shape: [g.batch, g.channels, g.height, g.width], layout: .nhwc, on: HostMemory.shared)
            let dy = data.tensor([g.batch, g.channels, g.outHeight, g.outWidth])
            let (y, dx) = try run(g, cpu: cpu, x: x, dy: dy)
            XCTAssertTrue(y[1].contains { $0.isNaN }, "reference: no window won by NaN \(g)")
            assertIdentical(y[0], y[1], "max pooling forward with NaN \(g)")
            let error = relativeError(dx[0], dx[1])
            XCTAssertTrue(error <= Conformance.tolerance, "max pooling backward with NaN \(g): relative error \(error)")
        }
    }
}
