import Tensors
import XCTest

/// Tensors over storages: explicit host copies, views that keep their storage alive,
/// memory reuse that never frees what a view still holds, host layout reordering.
final class TensorTests: XCTestCase {
    func testHostCopiesRoundTrip() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: HostMemory.shared)
        XCTAssertEqual(t.toArray(), [1, 2, 3, 4, 5, 6])
        t.copy(from: [6, 5, 4, 3, 2, 1])
        XCTAssertEqual(t.toArray(), [6, 5, 4, 3, 2, 1])
        t.fill(0.5)
        XCTAssertEqual(t.toArray(), [Float](repeating: 0.5, count: 6))
        XCTAssertEqual(Tensor(shape: [3], on: HostMemory.shared).toArray(), [0, 0, 0], "new tensors are zero")
    }

    /// NaN and infinities anywhere (in a vector of 16, in the tail, past the first chunk of 1 Mi
    /// elements, in a view) make a tensor not finite; large finite values do not.
    func testFinitenessFindsEveryNonFiniteValue() {
        let n = (1 << 20) + 37
        let t = Tensor(shape: [n], on: HostMemory.shared)
        t.fill(Float.greatestFiniteMagnitude)
        XCTAssertTrue(t.isFinite)
        for (i, bad) in [(0, Float.nan), (17, .infinity), (n - 1, -.infinity), (1 << 20, .nan), (n - 40, .infinity)] {
            var values = t.toArray()
            values[i] = bad
            let u = Tensor(values, shape: [n], on: HostMemory.shared)
            XCTAssertFalse(u.isFinite, "\(bad) at \(i)")
            XCTAssertFalse(u.view(offset: i, shape: [n - i]).isFinite, "\(bad) at \(i), in the view")
            XCTAssertTrue(u.view(offset: i + 1, shape: [n - i - 1]).isFinite, "\(bad) at \(i), outside the view")
        }
        XCTAssertTrue(Tensor(shape: [0], on: HostMemory.shared).isFinite)
    }

    func testViewsShareMemoryAndKeepTheirStorageAlive() {
        var parent: Tensor? = Tensor((0..<12).map(Float.init), shape: [3, 4], on: HostMemory.shared)
        let row = parent!.view(offset: 4, shape: [4])
        let reshaped = parent!.reshaped([12])
        row.copy(from: [40, 50, 60, 70])
        XCTAssertEqual(Array(reshaped.toArray()[4..<8]), [40, 50, 60, 70], "a view writes its parent's memory")
        let storage = parent!.storage
        parent = nil
        XCTAssertEqual(row.toArray(), [40, 50, 60, 70], "the view outlives the tensor it came from")
        XCTAssertTrue(row.storage === storage)
    }

    func testReusingKeepsLargeEnoughMemoryAndLeavesViewsValid() {
        let backendMemory = HostMemory.shared
        let big = Tensor((0..<8).map(Float.init), shape: [8], on: backendMemory)
        // A smaller request reuses the storage; a larger one allocates anew, and the old
        // memory stays valid for whoever still holds it.
        let small = Tensor(viewing: big.storage, shape: [2])
        XCTAssertTrue(small.storage === big.storage)
        let held = big.view(offset: 6, shape: [2])
        let larger = Tensor(shape: [16], on: backendMemory)
        XCTAssertFalse(larger.storage === big.storage)
        XCTAssertEqual(held.toArray(), [6, 7])
    }

    func testCopyBetweenTensors() {
        let a = Tensor([1, 2, 3], shape: [3], on: HostMemory.shared)
        let b = Tensor(shape: [3], on: HostMemory.shared)
        b.copy(from: a)
        XCTAssertEqual(b.toArray(), [1, 2, 3])
    }

    func testHostLayoutRoundTrip() {
        let shape = [2, 3, 4, 5]
        let v = (0..<120).map(Float.init)
        let nhwc = HostLayout.nhwc(fromNCHW: v, shape: shape)
        // Element (n=1, c=2, h=3, w=4) sits at ((1*4+3)*5+4)*3+2 in NHWC.
        let nhwcIndex = ((1 * 4 + 3) * 5 + 4) * 3 + 2, nchwIndex = ((1 * 3 + 2) * 4 + 3) * 5 + 4
        XCTAssertEqual(nhwc[nhwcIndex], v[nchwIndex])
        XCTAssertEqual(HostLayout.nchw(fromNHWC: nhwc, shape: shape), v)
        let t = Tensor(nhwc, shape: shape, layout: .nhwc, on: HostMemory.shared)
        XCTAssertEqual(t.nchwArray(), v)
    }
}
