import CUDAEmulation
import ReferenceBackend
@_spi(BackendImplementation) import Tensors
import XCTest

/// The bf16 layer kernels (bf16_layers.cu) emulated against the `reference` backend in bf16.
/// Bit for bit where the definition (`Precision`, docs/precision.md) leaves no freedom: dropout
/// (the mask, and x·keep or g·m in float32 rounded once). Batch norm, LRN and soft-max compute in
/// float32 or wider, which the definition leaves open (point 3: "in float32 (or wider)"), so
/// their bf16 outputs pass when `|a − ref| ≤ 1e-4 · max|ref| + the bf16 spacing at the element`
/// (the float32 tolerance, then each side rounded once), and their float32 outputs (statistics,
/// γ/β gradients, probabilities, the loss) at the float32 tolerance; the argmax count exactly.
extension EmulatedKernelTests {
    /// The spacing of bf16 values at |v| (8 significant bits), for normal values.
    private func bf16Spacing(_ v: Float) -> Double {
        let m = max(abs(Double(v)), Double(Float.leastNormalMagnitude))
        return pow(2, floor(log2(m)) - 7)
    }

    /// bf16 outputs whose arithmetic the definition leaves to float32 or wider; prints how many are identical.
    func assertBF16Close(_ a: [Float], _ ref: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        Self.checks += 1
        XCTAssertEqual(a.count, ref.count, what, file: file, line: line)
        let scale = ref.filter { !$0.isNaN }.map { abs(Double($0)) }.max() ?? 0
        var identical = 0, worst: (Int, Float, Float)?
        for (i, (x, r)) in zip(a, ref).enumerated() {
            XCTAssert(x.isNaN || x == BFloat16.rounded(x), "\(what): element \(i) is not a bf16 value", file: file, line: line)
            if x == r || (x.isNaN && r.isNaN) { identical += 1; continue }
            let bound = Self.tolerance * scale + bf16Spacing(max(abs(x), abs(r)))
            if !(abs(Double(x) - Double(r)) <= bound) && worst == nil { worst = (i, x, r) }
        }
        XCTAssertNil(worst, "\(what): element \(worst?.0 ?? -1) is \(worst?.1 ?? 0), the reference \(worst?.2 ?? 0)", file: file, line: line)
        print("bf16 \(what): \(identical) of \(a.count) elements identical to the reference")
    }

    func testBFloat16BatchNormForwardAndBackwardKeepFloat32Statistics() throws {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        for shape in [[3, 37, 15, 15], [2, 5, 3, 7]] {
            let (N, C, H, W) = (shape[0], shape[1], shape[2], shape[3])
            let rows = N * H * W, count = rows * C
            let v = values(count, seed: UInt64(C) + 40, scale: 2).map { BFloat16.rounded($0 + 0.5) }
            let x = host(v, shape: shape, layout: .nhwc), xe = bf16Buffer(v)
            let y = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let ye = bf16Buffer([Float](repeating: 0, count: count))
            let gamma = values(C, seed: 43).map { $0 + 1 }, beta = values(C, seed: 44)
            let runningMean = values(C, seed: 46), runningVariance = values(C, seed: 47).map { $0 + 1.5 }
            let (g, b) = (host(gamma, shape: [C]), host(beta, shape: [C]))
            let (rm, rv) = (host(runningMean, shape: [C]), host(runningVariance, shape: [C]))
            let (rme, rve) = (host(runningMean, shape: [C]), host(runningVariance, shape: [C]))
            // γ and β as the kernels see them: the bf16 copy, read back to float32 by bf16_to_f32.
            let (gc, bc) = (bf16Buffer(gamma), bf16Buffer(beta))
            let (ge, be) = (host([Float](repeating: 0, count: C), shape: [C]), host([Float](repeating: 0, count: C), shape: [C]))
            defer { xe.deallocate(); ye.deallocate(); gc.deallocate(); bc.deallocate() }
            elementwise("bf16_to_f32", count: C, [.pointer(UnsafeMutableRawPointer(gc)), .pointer(ge.address), .long(Int64(C))])
            elementwise("bf16_to_f32", count: C, [.pointer(UnsafeMutableRawPointer(bc)), .pointer(be.address), .long(Int64(C))])
            let op = try bf16.makeBatchNorm(shape: shape, epsilon: 1e-5)
            op.forwardTraining(x: x, gamma: g, beta: b, y: y, runningMean: rm, runningVariance: rv, momentum: 0.1, synchronization: nil)

            let (parts, perPart) = partition(rows: rows)
            let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * 2 * C)
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: 4 * C)   // sums (2C), mean (C), invstd (C)
            let affine = UnsafeMutablePointer<Float>.allocate(capacity: 2 * C)     // scale, shift
            defer { partial.deallocate(); doubles.deallocate(); affine.deallocate() }
            launch("moment_partials_bf16", grid: ((C + 31) / 32, parts, 1), block: (32, 8, 1),
                   [.pointer(UnsafeMutableRawPointer(xe)), .pointer(partial), .long(Int64(rows)), .int(Int32(C)), .long(Int64(perPart))])
            elementwise("sum_partials", count: 2 * C, [.pointer(partial), .pointer(doubles), .int(Int32(parts)), .int(Int32(2 * C))])
            elementwise("bn_forward_finalize", count: C,
                        [.pointer(doubles), .double(Double(rows)), .float(1e-5), .float(0.1), .int(1), .pointer(ge.address), .pointer(be.address),
                         .pointer(rme.address), .pointer(rve.address), .pointer(doubles + 2 * C), .pointer(doubles + 3 * C),
                         .pointer(affine), .pointer(affine + C), .int(Int32(C))])
            elementwise("channel_affine_bf16", count: count,
                        [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(ye)), .pointer(affine), .pointer(affine + C),
                         .long(Int64(count)), .int(Int32(C))])
            assertBF16Close(floats(ye, count), y.toArray(), "batch-norm y \(shape)")
            assertClose(rme.toArray(), rm.toArray(), "bf16 batch-norm running mean \(shape)")
            assertClose(rve.toArray(), rv.toArray(), "bf16 batch-norm running variance \(shape)")

            let dyValues = values(count, seed: UInt64(C) + 51).map(BFloat16.rounded)
            let dy = host(dyValues, shape: shape, layout: .nhwc), dye = bf16Buffer(dyValues)
            let dx = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let dxe = bf16Buffer([Float](repeating: 0, count: count))
            defer { dye.deallocate(); dxe.deallocate() }
            let (dg, db) = (host([Float](repeating: 0, count: C), shape: [C]), host([Float](repeating: 0, count: C), shape: [C]))
            let (dge, dbe) = (host([Float](repeating: 0, count: C), shape: [C]), host([Float](repeating: 0, count: C), shape: [C]))
            op.backward(x: x, gamma: g, beta: b, dy: dy, dx: dx, dgamma: dg, dbeta: db, synchronization: nil)
            let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 3 * C)   // a, b, d
            defer { coefficients.deallocate() }
            launch("bn_backward_partials_bf16", grid: ((C + 31) / 32, parts, 1), block: (32, 8, 1),
                   [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(dye)), .pointer(doubles + 2 * C), .pointer(partial),
                    .long(Int64(rows)), .int(Int32(C)), .long(Int64(perPart))])
            elementwise("sum_partials", count: 2 * C, [.pointer(partial), .pointer(doubles), .int(Int32(parts)), .int(Int32(2 * C))])
            elementwise("bn_parameter_gradients", count: C,
                        [.pointer(doubles), .pointer(doubles + 3 * C), .pointer(dge.address), .pointer(dbe.address), .int(Int32(C))])
            elementwise("bn_backward_coefficients", count: C,
                        [.pointer(doubles), .pointer(doubles + 2 * C), .pointer(doubles + 3 * C), .pointer(ge.address), .double(Double(rows)),
                         .pointer(coefficients), .pointer(coefficients + C), .pointer(coefficients + 2 * C), .int(Int32(C))])
            elementwise("bn_backward_apply_bf16", count: count, blocks: 3,
                        [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(dye)), .pointer(UnsafeMutableRawPointer(dxe)),
                         .pointer(coefficients), .pointer(coefficients + C), .pointer(coefficients + 2 * C), .long(Int64(count)), .int(Int32(C))])
            assertBF16Close(floats(dxe, count), dx.toArray(), "batch-norm dx \(shape)")
            assertClose(dge.toArray(), dg.toArray(), "bf16 batch-norm dgamma \(shape)")
            assertClose(dbe.toArray(), db.toArray(), "bf16 batch-norm dbeta \(shape)")
        }
    }

    func testBFloat16LocalResponseNormForwardAndBackward() throws {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        // Windows clipped at both ends, an asymmetric one, one wider than the channels; a NaN input.
        for (shape, size) in [([2, 7, 3, 5], 5), ([1, 16, 4, 4], 4), ([3, 3, 2, 5], 5)] {
            let count = shape.reduce(1, *), C = shape[1]
            let p = LocalResponseNormParameters(size: size, alpha: 2e-1, beta: 0.75, k: 2)
            var v = values(count, seed: UInt64(count) + 60, scale: 3).map(BFloat16.rounded)
            v[count / 2] = .nan
            let d = values(count, seed: UInt64(count) + 61).map(BFloat16.rounded)
            let (x, dy) = (host(v, shape: shape, layout: .nhwc), host(d, shape: shape, layout: .nhwc))
            let (xe, dye) = (bf16Buffer(v), bf16Buffer(d))
            let y = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let dx = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let (ye, dxe) = (bf16Buffer([Float](repeating: 0, count: count)), bf16Buffer([Float](repeating: 0, count: count)))
            defer { xe.deallocate(); dye.deallocate(); ye.deallocate(); dxe.deallocate() }
            let op = try bf16.makeLocalResponseNorm(shape: shape, p)
            op.forward(x: x, y: y)
            op.backward(x: x, dy: dy, dx: dx)
            let tail: [EmulatedArgument] = [.long(Int64(count)), .int(Int32(C)), .int(Int32(size)), .float(p.alpha), .float(p.beta), .float(p.k)]
            elementwise("lrn_forward_bf16", count: count, [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(ye))] + tail)
            elementwise("lrn_backward_bf16", count: count, blocks: 1,
                        [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(dye)), .pointer(UnsafeMutableRawPointer(dxe))] + tail)
            assertBF16Close(floats(ye, count), y.toArray(), "LRN y \(shape) size \(size)")
            assertBF16Close(floats(dxe, count), dx.toArray(), "LRN dx \(shape) size \(size)")
        }
    }

    func testBFloat16SoftmaxAndCrossEntropyReadBFloat16Logits() {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        for (n, k, smoothing) in [(37, 10, Float(0)), (5, 45, Float(0.1)), (13, 3, Float(0.2))] {
            var z = values(n * k, seed: UInt64(n * k) + 70, scale: 4)
            z[k] = z[k + 1] + 1e-3   // a tie in row 1 once rounded to bf16
            let labels = (0..<n).map { Float(($0 * 7) % k) }
            let zt = host(z, shape: [n, k]), lt = host(labels, shape: [n]), ze = bf16Buffer(z)
            defer { ze.deallocate() }
            let p = host([Float](repeating: 0, count: n * k), shape: [n, k]), pe = host([Float](repeating: 0, count: n * k), shape: [n, k])
            let s = host([0, 0], shape: [2]), se = host([0, 0], shape: [2])
            bf16.softmaxCrossEntropy(logits: zt, labels: lt, labelSmoothing: smoothing, probabilities: p, statistics: s)
            launch("softmax_cross_entropy_bf16", grid: (1, 1, 1), block: (1024, 1, 1),
                   [.pointer(UnsafeMutableRawPointer(ze)), .pointer(lt.address), .float(smoothing), .pointer(pe.address), .pointer(se.address),
                    .int(Int32(n)), .int(Int32(k))])
            assertClose(pe.toArray(), p.toArray(), "bf16 softmax probabilities \(n)×\(k)")
            assertClose([se.toArray()[0]], [s.toArray()[0]], "bf16 mean loss \(n)×\(k)")
            assertIdentical([se.toArray()[1]], [s.toArray()[1]], "bf16 correct count \(n)×\(k)")

            let q = host([Float](repeating: 0, count: n * k), shape: [n, k]), qe = host([Float](repeating: 0, count: n * k), shape: [n, k])
            bf16.softmax(zt, into: q)
            launch("softmax_rows_bf16", grid: ((n + 7) / 8, 1, 1), block: (256, 1, 1),
                   [.pointer(UnsafeMutableRawPointer(ze)), .pointer(qe.address), .int(Int32(n)), .int(Int32(k))])
            assertClose(qe.toArray(), q.toArray(), "softmax_rows_bf16 \(n)×\(k)")
        }
    }

    func testBFloat16DropoutIsBitExact() throws {
        let bf16 = ReferenceBackend(threads: 1, precision: .bf16)
        for (shape, probability) in [([3, 7], Float(0.5)), ([2, 3, 5, 5], 0.3)] {
            let count = shape.reduce(1, *), samples = shape[0], perSample = count / samples
            var v = values(count, seed: UInt64(count) + 80, scale: 3).map(BFloat16.rounded)
            v[1] = .nan
            let key = DropoutKey(seed: 5, stream: 2, step: (1 << 32) + 3, firstSample: 11)
            let x = host(v, shape: shape), y = host([Float](repeating: 0, count: count), shape: shape)
            let xe = bf16Buffer(v), ye = bf16Buffer([Float](repeating: 0, count: count))
            let mask = host([Float](repeating: 0, count: count), shape: shape)
            defer { xe.deallocate(); ye.deallocate() }
            let op = try bf16.makeDropout(shape: shape, probability: probability)
            op.forward(x: x, y: y, key: key)
            let k = key.philoxKey
            elementwise("dropout_forward_bf16", count: samples * ((perSample + 3) / 4),
                        [.pointer(UnsafeMutableRawPointer(xe)), .pointer(UnsafeMutableRawPointer(ye)), .pointer(mask.address), .long(Int64(samples)),
                         .long(Int64(perSample)), .float(probability), .float(1 / (1 - probability)), .uint32(k[0]), .uint32(k[1]),
                         .uint32(UInt32(truncatingIfNeeded: key.firstSample)), .uint64(key.step)])
            assertIdentical(floats(ye, count), y.toArray(), "bf16 dropout y \(shape) p \(probability)")

            let d = values(count, seed: UInt64(count) + 81, scale: 5).map(BFloat16.rounded)
            let g = host(d, shape: shape), ge = bf16Buffer(d)
            defer { ge.deallocate() }
            op.backward(gradient: g)
            elementwise("multiply_in_place_bf16", count: count, blocks: 1,
                        [.pointer(UnsafeMutableRawPointer(ge)), .pointer(mask.address), .long(Int64(count))])
            assertIdentical(floats(ge, count), g.toArray(), "bf16 dropout dx \(shape) p \(probability)")
        }
    }
}
