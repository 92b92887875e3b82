import XCTest
@testable import CPUBackend
import Tensors

/// The native Winograd convolution against the definition of a convolution (double
/// precision loops written here), forward and all three gradients, over the cases that
/// stress the tiling: partial tiles at the right and bottom edges, padding 0, 1 and 2,
/// channel counts that are not multiples of the 8-lane vectors, both tile sizes, and
/// tile blocks much smaller than the batch (the scratch budget forces several blocks,
/// some splitting an image).
final class WinogradConvolutionTests: XCTestCase {
    struct Case {
        var g: ConvolutionGeometry
        var tile: Int
        var scratch: Int
    }

    func testForwardAndBackwardMatchTheDefinition() throws {
        try XCTSkipUnless(WinogradConvolution.isSupported, "the transforms need AVX2 and FMA")
        let cases = [
            Case(g: .init(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 5, kernelH: 3, kernelW: 3, padding: 1), tile: 2, scratch: 1 << 20),
            Case(g: .init(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 5, kernelH: 3, kernelW: 3, padding: 1), tile: 4, scratch: 1 << 20),
            Case(g: .init(batch: 3, inChannels: 16, height: 8, width: 8, outChannels: 24, kernelH: 3, kernelW: 3, padding: 1), tile: 4, scratch: 36 * 40 * 4 * 5),
            Case(g: .init(batch: 3, inChannels: 13, height: 6, width: 9, outChannels: 11, kernelH: 3, kernelW: 3, padding: 0), tile: 2, scratch: 16 * 24 * 4 * 3),
            Case(g: .init(batch: 2, inChannels: 9, height: 5, width: 5, outChannels: 17, kernelH: 3, kernelW: 3, padding: 2), tile: 4, scratch: 1 << 20),
            Case(g: .init(batch: 4, inChannels: 32, height: 2, width: 2, outChannels: 16, kernelH: 3, kernelW: 3, padding: 1), tile: 2, scratch: 1 << 20),
        ]
        for c in cases { try check(c) }
    }

    func testTileSizeFollowsTheOutputSize() {
        func g(_ side: Int) -> ConvolutionGeometry {
            .init(batch: 1, inChannels: 16, height: side, width: side, outChannels: 16, kernelH: 3, kernelW: 3, padding: 1)
        }
        XCTAssertEqual(WinogradConvolution.tileSize(for: g(2)), 2)
        XCTAssertEqual(WinogradConvolution.tileSize(for: g(4)), 4)
        XCTAssertEqual(WinogradConvolution.tileSize(for: g(14)), 4)
        XCTAssertEqual(WinogradConvolution.tileSize(for: g(32)), 4)
    }

    private func check(_ c: Case) throws {
        let g = c.g
        let kernel = WinogradConvolution(g, propagateDown: true, tileSize: c.tile, scratch: ScratchBuffers(), scratchBytes: c.scratch)
        var rng = SystemRandomNumberGenerator()
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -1...1, using: &rng) } }
        var x = random(g.batch * g.height * g.width * g.inChannels)       // NHWC
        var w = random(g.outChannels * g.inChannels * 9)                   // OIHW
        var b = random(g.outChannels)
        var dy = random(g.batch * g.outHeight * g.outWidth * g.outChannels) // NHWC
        var y = [Float](repeating: .nan, count: dy.count)
        var dx = [Float](repeating: .nan, count: x.count)
        var dw = [Float](repeating: .nan, count: w.count)
        var db = [Float](repeating: .nan, count: b.count)
        kernel.forward(x: &x, weight: &w, bias: &b, y: &y)
        kernel.backward(x: &x, weight: &w, dy: &dy, dx: &dx, dweight: &dw, dbias: &db)

        // The definition, in double precision.
        var yRef = [Double](repeating: 0, count: y.count), dxRef = [Double](repeating: 0, count: x.count)
        var dwRef = [Double](repeating: 0, count: w.count), dbRef = [Double](repeating: 0, count: b.count)
        let (H, W, C, K, OH, OW) = (g.height, g.width, g.inChannels, g.outChannels, g.outHeight, g.outWidth)
        for n in 0..<g.batch {
            for oh in 0..<OH {
                for ow in 0..<OW {
                    for k in 0..<K {
                        let o = ((n * OH + oh) * OW + ow) * K + k
                        var s = Double(b[k])
                        dbRef[k] += Double(dy[o])
                        for kh in 0..<3 {
                            for kw in 0..<3 {
                                let ih = oh + kh - g.padding, iw = ow + kw - g.padding
                                guard ih >= 0, ih < H, iw >= 0, iw < W else { continue }
                                for ci in 0..<C {
                                    let xi = ((n * H + ih) * W + iw) * C + ci, wi = ((k * C + ci) * 3 + kh) * 3 + kw
                                    s += Double(x[xi]) * Double(w[wi])
                                    dxRef[xi] += Double(dy[o]) * Double(w[wi])
                                    dwRef[wi] += Double(dy[o]) * Double(x[xi])
                                }
                            }
                        }
                        yRef[o] = s
                    }
                }
            }
        }
        let label = "\(g) tile \(c.tile)"
        assertClose(y, yRef, "forward \(label)")
        assertClose(dx, dxRef, "input gradient \(label)")
        assertClose(dw, dwRef, "weight gradient \(label)")
        assertClose(db, dbRef, "bias gradient \(label)")
    }

    private func assertClose(_ a: [Float], _ ref: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, ref.count)
        let scale = max(1, ref.map { abs($0) }.max() ?? 1)
        var worst = 0.0, at = 0
        for i in ref.indices {
            let e = abs(Double(a[i]) - ref[i])
            if !(e <= worst) { worst = e; at = i }
        }
        XCTAssertLessThan(worst / scale, 2e-5, "\(what): worst error \(worst) at \(at) (scale \(scale))", file: file, line: line)
    }
}
