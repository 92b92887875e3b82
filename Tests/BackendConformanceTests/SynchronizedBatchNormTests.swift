import Foundation
@_spi(BackendImplementation) import Tensors
import XCTest

/// Synchronised BatchNorm: a batch split into two slices, each normalised by its own op on
/// its own thread with the statistics both slices sum up together, gives the whole batch's
/// output, input gradient and running statistics; the slices' dgamma and dbeta add up to
/// the whole batch's. On both backends.
final class SynchronizedBatchNormTests: XCTestCase {
    /// Two participants on two threads adding up arrays of doubles (an in-process stand-in
    /// for an all-reduce across processes).
    final class TwoWaySum: @unchecked Sendable {
        private let condition = NSCondition()
        private var deposited: [[Double]?] = [nil, nil]
        private var result: [Double]?
        private var taken = 0

        func sum(_ rank: Int, _ values: [Double]) -> [Double] {
            condition.lock()
            defer { condition.unlock() }
            while result != nil { condition.wait() }          // the previous round is still being read
            deposited[rank] = values
            if let a = deposited[0], let b = deposited[1] {
                result = zip(a, b).map { $0 + $1 }
                deposited = [nil, nil]
                condition.broadcast()
            }
            while result == nil { condition.wait() }
            let r = result!
            taken += 1
            if taken == 2 { taken = 0; result = nil; condition.broadcast() }
            return r
        }
    }

    func testTwoSynchronisedSlicesEqualTheWholeBatch() throws {
        var data = TestData(seed: 31)
        for shape in [[4, 5, 3, 2], [6, 16, 4, 4]] {
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let per = c * h * w, half = n / 2
            let x = data.gaussian(n * per, mean: 1, scale: 2), dy = data.gaussian(n * per)
            let gamma = data.tensor([c], mean: 1, scale: 0.3), beta = data.tensor([c], scale: 0.3)
            for backend in [try Conformance.cpu() as any Backend, Conformance.reference] {
                // The whole batch, ordinary BatchNorm.
                let whole = try backend.makeBatchNorm(shape: shape, epsilon: 1e-5)
                let y = filled(shape), dx = filled(shape), dg = filled([c]), db = filled([c])
                let rm = Tensor(shape: [c], on: HostMemory.shared), rv = Tensor([Float](repeating: 1, count: c), shape: [c], on: HostMemory.shared)
                let xt = Tensor(x, shape: shape, layout: .nhwc, on: HostMemory.shared), dyt = Tensor(dy, shape: shape, layout: .nhwc, on: HostMemory.shared)
                whole.forwardTraining(x: xt, gamma: gamma, beta: beta, y: y, runningMean: rm, runningVariance: rv, momentum: 0.1, synchronization: nil)
                whole.backward(x: xt, gamma: gamma, beta: beta, dy: dyt, dx: dx, dgamma: dg, dbeta: db, synchronization: nil)

                // Two slices on two threads.
                let group = TwoWaySum()
                let sliceShape = [half, c, h, w]
                var parts: [[[Float]]] = [[], []]
                let lock = NSLock()
                DispatchQueue.concurrentPerform(iterations: 2) { rank in
                    let op = try! backend.makeBatchNorm(shape: sliceShape, epsilon: 1e-5)
                    let range = (rank * half * per)..<((rank + 1) * half * per)
                    let xs = Tensor(Array(x[range]), shape: sliceShape, layout: .nhwc, on: HostMemory.shared)
                    let dys = Tensor(Array(dy[range]), shape: sliceShape, layout: .nhwc, on: HostMemory.shared)
                    let ys = filled(sliceShape), dxs = filled(sliceShape), dgs = filled([c]), dbs = filled([c])
                    let rms = Tensor(shape: [c], on: HostMemory.shared), rvs = Tensor([Float](repeating: 1, count: c), shape: [c], on: HostMemory.shared)
                    let sync: BatchNormSynchronization = { group.sum(rank, $0) }
                    op.forwardTraining(x: xs, gamma: gamma, beta: beta, y: ys, runningMean: rms, runningVariance: rvs, momentum: 0.1, synchronization: sync)
                    op.backward(x: xs, gamma: gamma, beta: beta, dy: dys, dx: dxs, dgamma: dgs, dbeta: dbs, synchronization: sync)
                    lock.lock(); parts[rank] = [ys.toArray(), dxs.toArray(), dgs.toArray(), dbs.toArray(), rms.toArray(), rvs.toArray()]; lock.unlock()
                }
                let what = "\(backend.name) \(shape)"
                assertClose(parts[0][0] + parts[1][0], y.toArray(), "y, \(what)")
                assertClose(parts[0][1] + parts[1][1], dx.toArray(), scale: dy.map(abs).max()! * 3, "dx, \(what)")
                assertClose(zip(parts[0][2], parts[1][2]).map { $0 + $1 }, dg.toArray(), "dgamma (sum of the slices), \(what)")
                assertClose(zip(parts[0][3], parts[1][3]).map { $0 + $1 }, db.toArray(), "dbeta (sum of the slices), \(what)")
                for k in 0..<2 {
                    assertClose(parts[k][4], rm.toArray(), "running mean, slice \(k), \(what)")
                    assertClose(parts[k][5], rv.toArray(), "running variance, slice \(k), \(what)")
                }
            }
        }
    }
}
