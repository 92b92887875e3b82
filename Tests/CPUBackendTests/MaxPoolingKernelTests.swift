import XCTest
@testable import CPUBackend
import Tensors

/// The hand-written 2×2 max pooling and oneDNN's against the definition (written here),
/// forward and backward, on odd sizes (a last row and column in no window), a channel
/// count that is not a multiple of the vector width, and many ties (small integers): the
/// first maximum in the window wins, as in PyTorch.
final class MaxPoolingKernelTests: XCTestCase {
    func testBothKernelsFollowTheDefinition() throws {
        let (n, c, h, w) = (3, 13, 7, 5)
        let (oh, ow) = (h / 2, w / 2)
        let x = (0..<(n * h * w * c)).map { i in Float((i * 7919) % 5) }   // ties everywhere
        let dy = (0..<(n * oh * ow * c)).map { i in Float(i % 11) - 5 }
        // The definition: the first maximum of each window gets the gradient.
        var yRef = [Float](repeating: 0, count: dy.count), dxRef = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for i in 0..<oh {
                for j in 0..<ow {
                    for ch in 0..<c {
                        var best = -Float.infinity, at = 0
                        for (di, dj) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                            let idx = ((b * h + 2 * i + di) * w + 2 * j + dj) * c + ch
                            if x[idx] > best { best = x[idx]; at = idx }
                        }
                        let o = ((b * oh + i) * ow + j) * c + ch
                        yRef[o] = best
                        dxRef[at] += dy[o]
                    }
                }
            }
        }
        let g = PoolingGeometry(batch: n, channels: c, height: h, width: w, kernel: 2, stride: 2)
        for native in [true, false] {
            let kernel = try MaxPoolingKernel(g, context: DNNLContext(), rounding: BFloat16Rounding(.fp32), native: native)
            if native { XCTAssertEqual(kernel.isNative, CPUFeatures.hasAVX2AndFMA) }
            let xt = Tensor(x, shape: [n, c, h, w], layout: .nhwc, on: HostMemory.shared)
            let yt = Tensor([Float](repeating: .nan, count: dy.count), shape: [n, c, oh, ow], layout: .nhwc, on: HostMemory.shared)
            let dyt = Tensor(dy, shape: [n, c, oh, ow], layout: .nhwc, on: HostMemory.shared)
            let dxt = Tensor([Float](repeating: .nan, count: x.count), shape: [n, c, h, w], layout: .nhwc, on: HostMemory.shared)
            kernel.forward(x: xt, y: yt)
            kernel.backward(dy: dyt, dx: dxt)
            XCTAssertEqual(yt.toArray(), yRef, "forward, native \(kernel.isNative)")
            XCTAssertEqual(dxt.toArray(), dxRef, "backward, native \(kernel.isNative)")
        }
    }
}
