import CUDAEmulation
import ReferenceBackend
@_spi(BackendImplementation) import Tensors
import XCTest

/// The bf16 kernels (bf16.cu) emulated against the `reference` backend in bf16, its oracle of
/// docs/precision.md. bf16 tensors are bf16 bits on the kernels' side and float32 tensors holding
/// bf16 values on the reference's. Every comparison here is bit for bit: the casts are
/// `BFloat16.bits`/`value`; the SGD step is the fp32 step then one rounding; ReLU and max-pool
/// values are inputs or zero; max-pool's backward sums in double and the logits' gradient is
/// computed in double, as the reference does, each then rounded once.
extension EmulatedKernelTests {
    /// A host buffer of the bf16 bits of `values` (deallocated by the caller).
    func bf16Buffer(_ values: [Float]) -> UnsafeMutablePointer<UInt16> {
        let p = UnsafeMutablePointer<UInt16>.allocate(capacity: max(values.count, 1))
        for (i, v) in values.enumerated() { p[i] = BFloat16.bits(v) }
        return p
    }

    func floats(_ bits: UnsafeMutablePointer<UInt16>, _ count: Int) -> [Float] { (0..<count).map { BFloat16.value(bits[$0]) } }

    func assertBitsEqual(_ a: [UInt32], _ b: [UInt32], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        Self.checks += 1
        let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        XCTAssertNil(first, "\(what): element \(first?.offset ?? -1) has bits \(String(first?.element.0 ?? 0, radix: 16)), "
                     + "expected \(String(first?.element.1 ?? 0, radix: 16))", file: file, line: line)
    }

    func testBFloat16CastsAreBFloat16BitsAndValue() {
        // Ties to even both ways, the midpoint above the largest bf16 (to ∞), NaNs of both signs and a
        // signalling NaN (made quiet), ±∞, ±0, subnormals at a tie, then ordinary values; 1027 elements on 1 block.
        let special: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7F7F_8000, 0x7F7F_7FFF, 0xFF7F_8000, 0x7FC0_0000, 0xFFC0_0001,
                                 0x7F80_0001, 0x7F80_0000, 0xFF80_0000, 0x0000_0000, 0x8000_0000, 0x0000_8000, 0x0001_8000, 0x8000_7FFF]
        let v = special.map { Float(bitPattern: $0) } + values(1027 - special.count, seed: 99, scale: 1e3)
        let n = v.count
        let x = host(v, shape: [n])
        let y = UnsafeMutablePointer<UInt16>.allocate(capacity: n), back = host([Float](repeating: 0, count: n), shape: [n])
        defer { y.deallocate() }
        elementwise("f32_to_bf16", count: n, blocks: 1, [.pointer(x.address), .pointer(UnsafeMutableRawPointer(y)), .long(Int64(n))])
        assertBitsEqual((0..<n).map { UInt32(y[$0]) }, v.map { UInt32(BFloat16.bits($0)) }, "f32_to_bf16")
        elementwise("bf16_to_f32", count: n, [.pointer(UnsafeMutableRawPointer(y)), .pointer(back.address), .long(Int64(n))])
        assertBitsEqual(back.toArray().map(\.bitPattern), v.map { BFloat16.rounded($0).bitPattern }, "bf16_to_f32")
    }

    func testBFloat16SGDStepUpdatesTheFloat32MasterAndWritesTheRoundedCopy() {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        let count = 1300
        for (momentum, nesterov, first) in [(Float(0), false, true), (0.9, false, true), (0.9, true, false), (0.5, false, false)] {
            let w = values(count, seed: 11), g = values(count, seed: 12, scale: 3), b = values(count, seed: 13)
            let (wr, gr, br) = (host(w, shape: [count]), host(g, shape: [count]), host(b, shape: [count]))
            let (we, ge, be) = (host(w, shape: [count]), host(g, shape: [count]), host(b, shape: [count]))
            let copy = bf16Buffer([Float](repeating: 0, count: count))
            defer { copy.deallocate() }
            let segments = [SGDUpdate.Segment(offset: 0, count: 700, learningRate: 0.1, weightDecay: 5e-4),
                            SGDUpdate.Segment(offset: 700, count: 599, learningRate: 0.01, weightDecay: 0)]
            bf16.sgdUpdate(SGDUpdate(values: wr, gradients: gr, momentumBuffer: br, segments: segments,
                                     momentum: momentum, dampening: 0.1, nesterov: nesterov, isFirstStep: first))
            for s in segments {
                elementwise("sgd_update_bf16", count: s.count, blocks: 2,
                            [.pointer(we.address), .pointer(ge.address), .pointer(be.address), .pointer(UnsafeMutableRawPointer(copy)),
                             .long(Int64(s.offset)), .long(Int64(s.count)), .float(s.learningRate), .float(s.weightDecay), .float(momentum),
                             .float(0.1), .int(nesterov ? 1 : 0), .int(first ? 1 : 0)])
            }
            let what = "momentum \(momentum) nesterov \(nesterov) first \(first)"
            assertBitsEqual(we.toArray().map(\.bitPattern), wr.toArray().map(\.bitPattern), "sgd_update_bf16 master, \(what)")
            assertBitsEqual(be.toArray().map(\.bitPattern), br.toArray().map(\.bitPattern), "sgd_update_bf16 momentum, \(what)")
            // The copy: the master rounded where a segment covers it, untouched (0) at element 1299.
            let expected = wr.toArray().enumerated().map { $0.offset < 1299 ? UInt32(BFloat16.bits($0.element)) : 0 }
            assertBitsEqual((0..<count).map { UInt32(copy[$0]) }, expected, "sgd_update_bf16 copy, \(what)")
        }
    }

    func testBFloat16ReLUForwardAndBackward() throws {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        for (count, blocks) in [(1, nil), (4099, 3)] as [(Int, Int?)] {
            var v = values(count, seed: UInt64(count) + 5).map(BFloat16.rounded)
            if count > 3 { v[1] = .nan; v[2] = -0.0; v[3] = -.nan }
            let x = host(v, shape: [count]), xe = bf16Buffer(v)
            defer { xe.deallocate() }
            try bf16.makeReLU(count: count).forward(x)
            elementwise("relu_forward_bf16", count: count, blocks: blocks, [.pointer(UnsafeMutableRawPointer(xe)), .long(Int64(count))])
            assertIdentical(floats(xe, count), x.toArray(), "relu_forward_bf16 \(count)")
            let g = values(count, seed: 78).map(BFloat16.rounded)
            let gr = host(g, shape: [count]), ge = bf16Buffer(g)
            defer { ge.deallocate() }
            try bf16.makeReLU(count: count).backward(output: x, gradient: gr)
            elementwise("relu_backward_bf16", count: count, blocks: blocks,
                        [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(ge)), .long(Int64(count))])
            assertIdentical(floats(ge, count), gr.toArray(), "relu_backward_bf16 \(count)")
        }
    }

    func testBFloat16MaxPoolingForwardAndBackward() throws {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        let cases = [PoolingGeometry(batch: 2, channels: 3, height: 7, width: 5, kernel: 2, stride: 2),
                     PoolingGeometry(batch: 3, channels: 2, height: 5, width: 5, kernel: 3, stride: 1, padding: 1)]
        for (index, g) in cases.enumerated() {
            let inputShape = [g.batch, g.channels, g.height, g.width], outShape = [g.batch, g.channels, g.outHeight, g.outWidth]
            var v = values(inputShape.reduce(1, *), seed: UInt64(index + 21)).map { BFloat16.rounded(($0 * 3).rounded() + $0 / 64) }
            v[4] = .nan
            let outCount = outShape.reduce(1, *)
            let x = host(v, shape: inputShape, layout: .nhwc), y = zeros(outShape, layout: .nhwc)
            let xe = bf16Buffer(v), ye = bf16Buffer([Float](repeating: 0, count: outCount))
            let winners = UnsafeMutablePointer<Int32>.allocate(capacity: outCount)
            defer { xe.deallocate(); ye.deallocate(); winners.deallocate() }
            let op = try bf16.makeMaxPooling(g)
            op.forward(x: x, y: y)
            let shape: [EmulatedArgument] = [g.batch, g.channels, g.height, g.width, g.outHeight, g.outWidth, g.kernel, g.stride, g.padding]
                .map { .int(Int32($0)) }
            elementwise("max_pool_forward_bf16", count: outCount, blocks: index == 1 ? 1 : nil,
                        [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(ye)), .pointer(winners)] + shape)
            assertIdentical(floats(ye, outCount), y.toArray(), "max_pool_forward_bf16 case \(index)")
            // dy in bf16 with values of many magnitudes, so overlapping windows' sums round.
            let dyValues = values(outCount, seed: 6).enumerated().map { BFloat16.rounded($0.element * Float(1 << ($0.offset % 9))) }
            let dy = host(dyValues, shape: outShape, layout: .nhwc), dx = zeros(inputShape, layout: .nhwc)
            let dye = bf16Buffer(dyValues), dxe = bf16Buffer([Float](repeating: 1, count: v.count))
            defer { dye.deallocate(); dxe.deallocate() }
            op.backward(dy: dy, dx: dx)
            elementwise("max_pool_backward_bf16", count: v.count, blocks: index == 1 ? 2 : nil,
                        [.pointer(UnsafeMutableRawPointer(dye)), .pointer(winners), .pointer(UnsafeMutableRawPointer(dxe))] + shape)
            assertIdentical(floats(dxe, v.count), dx.toArray(), "max_pool_backward_bf16 case \(index)")
        }
    }

    func testBFloat16SoftmaxCrossEntropyGradient() {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        for (n, k, smoothing) in [(37, 10, Float(0)), (5, 45, Float(0.1))] {
            let z = host(values(n * k, seed: UInt64(n + k), scale: 4).map(BFloat16.rounded), shape: [n, k])
            let labels = host((0..<n).map { Float(($0 * 3) % k) }, shape: [n])
            let p = zeros([n, k]), s = zeros([2])
            bf16.softmaxCrossEntropy(logits: z, labels: labels, labelSmoothing: smoothing, probabilities: p, statistics: s)
            let g = zeros([n, k]), ge = bf16Buffer([Float](repeating: 0, count: n * k))
            defer { ge.deallocate() }
            bf16.softmaxCrossEntropyBackward(probabilities: p, labels: labels, labelSmoothing: smoothing, normalizer: 2 * n, gradient: g)
            elementwise("softmax_cross_entropy_backward_bf16", count: n * k, blocks: 1,
                        [.pointer(p.address), .pointer(labels.address), .float(smoothing), .double(Double(2 * n)),
                         .pointer(UnsafeMutableRawPointer(ge)), .int(Int32(n)), .int(Int32(k))])
            assertIdentical(floats(ge, n * k), g.toArray(), "softmax_cross_entropy_backward_bf16 \(n)×\(k)")
        }
    }
}
