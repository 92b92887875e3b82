import CUDAEmulation
import ReferenceBackend
@_spi(BackendImplementation) import Tensors
import XCTest

/// One argument of an emulated launch, in the kind of the kernel's parameter.
enum EmulatedArgument {
    case pointer(UnsafeMutableRawPointer)
    case int(Int32)
    case uint32(UInt32)
    case long(Int64)
    case uint64(UInt64)
    case float(Float)
    case double(Double)
}

/// The backend's `.cu` kernels run on the host (Tests/CUDAEmulation) over host buffers, compared
/// with the `reference` backend's ops: the launches use the grids and partitions of `CUDABackend`.
/// Tolerance: an output passes when `max|a − b| ≤ 1e-4 · max|ref|` (BackendCheckOptions' default);
/// outputs whose definition leaves no freedom (ReLU, max-pool values and winners, the argmax count)
/// must be equal bit for bit, NaN where the reference has NaN.
final class EmulatedKernelTests: XCTestCase {
    static let tolerance = 1e-4
    nonisolated(unsafe) static var launched = Set<String>()
    nonisolated(unsafe) static var checks = 0
    let reference = ReferenceBackend(threads: 1)

    override class func tearDown() {
        let all = Set((0..<vgg_emu_kernel_count()).map { String(cString: vgg_emu_kernel_name($0)) })
        let missing = all.subtracting(launched).sorted()
        print("CUDA emulation: \(launched.count) of \(all.count) kernels launched emulated (\(launched.sorted().joined(separator: ", "))), "
              + "\(checks) output checks" + (missing.isEmpty ? "" : "; not launched: \(missing.joined(separator: ", "))"))
        super.tearDown()
    }

    // MARK: launching

    func launch(_ kernel: String, grid: (Int, Int, Int), block: (Int, Int, Int), _ arguments: [EmulatedArgument],
                file: StaticString = #filePath, line: UInt = #line) {
        let slots = UnsafeMutableRawPointer.allocate(byteCount: 8 * max(arguments.count, 1), alignment: 8)
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(arguments.count, 1))
        defer { slots.deallocate(); pointers.deallocate() }
        for (i, a) in arguments.enumerated() {
            let slot = slots + 8 * i
            switch a {
            case .pointer(let p): slot.storeBytes(of: p, as: UnsafeMutableRawPointer.self)
            case .int(let v): slot.storeBytes(of: v, as: Int32.self)
            case .uint32(let v): slot.storeBytes(of: v, as: UInt32.self)
            case .long(let v): slot.storeBytes(of: v, as: Int64.self)
            case .uint64(let v): slot.storeBytes(of: v, as: UInt64.self)
            case .float(let v): slot.storeBytes(of: v, as: Float.self)
            case .double(let v): slot.storeBytes(of: v, as: Double.self)
            }
            pointers[i] = slot
        }
        let status = vgg_emu_launch(kernel, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2), UInt32(block.0), UInt32(block.1), UInt32(block.2), pointers)
        XCTAssertEqual(status, 0, "\(kernel): \(String(cString: vgg_emu_last_error()))", file: file, line: line)
        Self.launched.insert(kernel)
    }

    /// `CUDAKernels.elementwise`'s launch (256 threads a block), or `blocks` blocks to force the grid-stride wrap.
    func elementwise(_ kernel: String, count: Int, blocks: Int? = nil, _ arguments: [EmulatedArgument],
                     file: StaticString = #filePath, line: UInt = #line) {
        guard count > 0 else { return }
        launch(kernel, grid: (blocks ?? min((count + 255) / 256, 1 << 16), 1, 1), block: (256, 1, 1), arguments, file: file, line: line)
    }

    /// `CUDABackend.partition`.
    func partition(rows: Int) -> (parts: Int, rowsPerPart: Int) {
        let parts = max(1, min(512, rows / 256))
        return (parts, (rows + parts - 1) / parts)
    }

    // MARK: comparing

    func assertClose(_ a: [Float], _ ref: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        Self.checks += 1
        XCTAssertEqual(a.count, ref.count, what, file: file, line: line)
        var scale = 0.0, worst = 0.0
        for (x, r) in zip(a, ref) {
            if r.isNaN || x.isNaN {
                XCTAssert(r.isNaN && x.isNaN, "\(what): \(x) where the reference has \(r)", file: file, line: line)
                continue
            }
            scale = max(scale, abs(Double(r)))
            worst = max(worst, abs(Double(x) - Double(r)))
        }
        XCTAssertLessThanOrEqual(worst, Self.tolerance * max(scale, 1e-30), "\(what): max|a − ref| \(worst), max|ref| \(scale)",
                                 file: file, line: line)
    }

    func assertIdentical(_ a: [Float], _ ref: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        Self.checks += 1
        XCTAssertEqual(a.count, ref.count, what, file: file, line: line)
        let first = zip(a, ref).enumerated().first { !($0.element.0 == $0.element.1 || ($0.element.0.isNaN && $0.element.1.isNaN)) }
        XCTAssertNil(first, "\(what): element \(first?.offset ?? -1) is \(first?.element.0 ?? 0), the reference \(first?.element.1 ?? 0)",
                     file: file, line: line)
    }

    func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    func host(_ values: [Float], shape: [Int], layout: MemoryLayout4D = .nchw) -> Tensor {
        Tensor(values, shape: shape, layout: layout, on: reference)
    }

    // MARK: tests

    func testTheLaunchTableHoldsEveryKernelAndTheCooperativeOnes() {
        let names = (0..<vgg_emu_kernel_count()).map { String(cString: vgg_emu_kernel_name($0)) }
        XCTAssertEqual(names.count, 49)
        let cooperative = (0..<vgg_emu_kernel_count()).filter { vgg_emu_kernel_is_cooperative($0) != 0 }.map { names[Int($0)] }
        XCTAssertEqual(Set(cooperative), ["column_partials", "moment_partials", "bn_backward_partials", "softmax_rows", "softmax_cross_entropy",
                                          "moment_partials_bf16", "bn_backward_partials_bf16", "softmax_rows_bf16", "softmax_cross_entropy_bf16"])
        XCTAssertEqual(vgg_emu_launch("no_such_kernel", 1, 1, 1, 1, 1, 1, nil), -1)
        XCTAssert(String(cString: vgg_emu_last_error()).contains("no_such_kernel"))
    }

    func testAWarpShuffleInAPartialWarpIsAnErrorNotAValue() {
        let z = host(values(3 * 5, seed: 9), shape: [3, 5]), p = host([Float](repeating: 0, count: 15), shape: [3, 5])
        var args: [UnsafeMutableRawPointer?] = []
        var zp = z.address, pp = p.address, n: Int32 = 3, k: Int32 = 5
        withUnsafeMutablePointer(to: &zp) { a in withUnsafeMutablePointer(to: &pp) { b in
            withUnsafeMutablePointer(to: &n) { c in withUnsafeMutablePointer(to: &k) { d in
                args = [UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b), UnsafeMutableRawPointer(c), UnsafeMutableRawPointer(d)]
                XCTAssertEqual(vgg_emu_launch("softmax_rows", 1, 1, 1, 48, 1, 1, &args), -1)
            } }
        } }
        XCTAssert(String(cString: vgg_emu_last_error()).contains("partial warp"), String(cString: vgg_emu_last_error()))
    }

    func testReLUForwardAndBackward() throws {
        for (count, blocks) in [(1, nil), (1000, nil), (4099, 3)] as [(Int, Int?)] {
            var v = values(count, seed: UInt64(count))
            if count > 2 { v[1] = .nan; v[2] = -0.0 }
            let x = host(v, shape: [count]), xe = host(v, shape: [count])
            try reference.makeReLU(count: count).forward(x)
            elementwise("relu_forward", count: count, blocks: blocks, [.pointer(xe.address), .long(Int64(count))])
            assertIdentical(xe.toArray(), x.toArray(), "relu_forward \(count)")
            let g = values(count, seed: 77)
            let gr = host(g, shape: [count]), ge = host(g, shape: [count])
            try reference.makeReLU(count: count).backward(output: x, gradient: gr)
            elementwise("relu_backward", count: count, blocks: blocks, [.pointer(x.address), .pointer(ge.address), .long(Int64(count))])
            assertIdentical(ge.toArray(), gr.toArray(), "relu_backward \(count)")
        }
    }

    func testAddInPlaceIsTheReferencesAdditionBitForBit() {
        // −0 + +0 is +0 and −0 + −0 is −0; x + (−x) is +0; the grid-stride loop wraps with 3 blocks.
        for (count, blocks) in [(1, nil), (1000, nil), (4099, 3)] as [(Int, Int?)] {
            var x = values(count, seed: UInt64(count) + 5), y = values(count, seed: UInt64(count) + 6, scale: 100)
            if count > 3 { x[0] = -0.0; y[0] = 0; x[1] = -0.0; y[1] = -0.0; x[2] = -y[2]; x[3] = .nan }
            let xr = host(x, shape: [count]), yr = host(y, shape: [count]), ye = host(y, shape: [count])
            reference.add(xr, to: yr)
            elementwise("add_in_place", count: count, blocks: blocks, [.pointer(ye.address), .pointer(xr.address), .long(Int64(count))])
            assertIdentical(ye.toArray(), yr.toArray(), "add_in_place \(count)")
        }
    }

    func testMaxPoolingForwardAndBackwardWithTiesNaNAndPadding() throws {
        let cases = [PoolingGeometry(batch: 2, channels: 3, height: 7, width: 5, kernel: 2, stride: 2),
                     PoolingGeometry(batch: 1, channels: 5, height: 6, width: 7, kernel: 3, stride: 2, padding: 1),
                     PoolingGeometry(batch: 3, channels: 2, height: 5, width: 5, kernel: 3, stride: 1, padding: 1)]
        for (index, g) in cases.enumerated() {
            let inputShape = [g.batch, g.channels, g.height, g.width], outShape = [g.batch, g.channels, g.outHeight, g.outWidth]
            // Coarse values make ties; a few NaNs.
            var v = values(inputShape.reduce(1, *), seed: UInt64(index + 1)).map { ($0 * 3).rounded() }
            v[4] = .nan; v[v.count / 2] = .nan
            let x = host(v, shape: inputShape, layout: .nhwc)
            let outCount = outShape.reduce(1, *)
            let y = host([Float](repeating: 0, count: outCount), shape: outShape, layout: .nhwc)
            let ye = host([Float](repeating: 0, count: outCount), shape: outShape, layout: .nhwc)
            let winners = UnsafeMutablePointer<Int32>.allocate(capacity: outCount)
            defer { winners.deallocate() }
            let op = try reference.makeMaxPooling(g)
            op.forward(x: x, y: y)
            let shape: [EmulatedArgument] = [.int(Int32(g.batch)), .int(Int32(g.channels)), .int(Int32(g.height)), .int(Int32(g.width)),
                                             .int(Int32(g.outHeight)), .int(Int32(g.outWidth)), .int(Int32(g.kernel)), .int(Int32(g.stride)),
                                             .int(Int32(g.padding))]
            // The second case wraps: fewer blocks than elements.
            elementwise("max_pool_forward", count: outCount, blocks: index == 1 ? 1 : nil,
                        [.pointer(x.address), .pointer(ye.address), .pointer(winners)] + shape)
            assertIdentical(ye.toArray(), y.toArray(), "max_pool_forward case \(index)")
            let dy = values(outCount, seed: 5)
            let dyt = host(dy, shape: outShape, layout: .nhwc)
            let dx = host([Float](repeating: 0, count: v.count), shape: inputShape, layout: .nhwc)
            let dxe = host([Float](repeating: 1, count: v.count), shape: inputShape, layout: .nhwc)
            op.backward(dy: dyt, dx: dx)
            elementwise("max_pool_backward", count: v.count, blocks: index == 2 ? 2 : nil,
                        [.pointer(dyt.address), .pointer(winners), .pointer(dxe.address)] + shape)
            assertClose(dxe.toArray(), dx.toArray(), "max_pool_backward case \(index)")
        }
    }

    func testBatchNormTrainingForwardWithTheBackendsPartition() throws {
        // rows = N·H·W: 675 gives 2 parts of 338 rows (a short last part); 37 channels leave a partial block of columns.
        for shape in [[3, 37, 15, 15], [2, 5, 3, 7]] {
            let (N, C, H, W) = (shape[0], shape[1], shape[2], shape[3])
            let rows = N * H * W, count = rows * C
            let v = values(count, seed: UInt64(C), scale: 2).map { $0 + 0.5 }
            let x = host(v, shape: shape, layout: .nhwc)
            let y = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let ye = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let gamma = values(C, seed: 3).map { $0 + 1 }, beta = values(C, seed: 4)
            let runningMean = values(C, seed: 6), runningVariance = values(C, seed: 7).map { $0 + 1.5 }
            let (g, b) = (host(gamma, shape: [C]), host(beta, shape: [C]))
            let (rm, rv) = (host(runningMean, shape: [C]), host(runningVariance, shape: [C]))
            let (rme, rve) = (host(runningMean, shape: [C]), host(runningVariance, shape: [C]))
            let op = try reference.makeBatchNorm(shape: shape, epsilon: 1e-5)
            op.forwardTraining(x: x, gamma: g, beta: b, y: y, runningMean: rm, runningVariance: rv, momentum: 0.1, synchronization: nil)

            let (parts, perPart) = partition(rows: rows)
            let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * 2 * C)
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: 4 * C)   // sums (2C), mean (C), invstd (C)
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: 2 * C)     // scale, shift
            defer { partial.deallocate(); doubles.deallocate(); floats.deallocate() }
            launch("moment_partials", grid: ((C + 31) / 32, parts, 1), block: (32, 8, 1),
                   [.pointer(x.address), .pointer(partial), .long(Int64(rows)), .int(Int32(C)), .long(Int64(perPart))])
            elementwise("sum_partials", count: 2 * C, [.pointer(partial), .pointer(doubles), .int(Int32(parts)), .int(Int32(2 * C))])
            elementwise("bn_forward_finalize", count: C,
                        [.pointer(doubles), .double(Double(rows)), .float(1e-5), .float(0.1), .int(1), .pointer(g.address), .pointer(b.address),
                         .pointer(rme.address), .pointer(rve.address), .pointer(doubles + 2 * C), .pointer(doubles + 3 * C),
                         .pointer(floats), .pointer(floats + C), .int(Int32(C))])
            elementwise("channel_affine", count: count,
                        [.pointer(x.address), .pointer(ye.address), .pointer(floats), .pointer(floats + C), .long(Int64(count)), .int(Int32(C))])
            assertClose(ye.toArray(), y.toArray(), "batch-norm y \(shape)")
            assertClose(rme.toArray(), rm.toArray(), "batch-norm running mean \(shape)")
            assertClose(rve.toArray(), rv.toArray(), "batch-norm running variance \(shape)")

            // Backward, from the emulated forward's mean and inverse standard deviation.
            let dyValues = values(count, seed: UInt64(C) + 11)
            let dy = host(dyValues, shape: shape, layout: .nhwc)
            let dx = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let dxe = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
            let (dg, db) = (host([Float](repeating: 0, count: C), shape: [C]), host([Float](repeating: 0, count: C), shape: [C]))
            let (dge, dbe) = (host([Float](repeating: 0, count: C), shape: [C]), host([Float](repeating: 0, count: C), shape: [C]))
            op.backward(x: x, gamma: g, beta: b, dy: dy, dx: dx, dgamma: dg, dbeta: db, synchronization: nil)
            let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 3 * C)   // a, b, d
            defer { coefficients.deallocate() }
            launch("bn_backward_partials", grid: ((C + 31) / 32, parts, 1), block: (32, 8, 1),
                   [.pointer(x.address), .pointer(dy.address), .pointer(doubles + 2 * C), .pointer(partial), .long(Int64(rows)),
                    .int(Int32(C)), .long(Int64(perPart))])
            elementwise("sum_partials", count: 2 * C, [.pointer(partial), .pointer(doubles), .int(Int32(parts)), .int(Int32(2 * C))])
            elementwise("bn_parameter_gradients", count: C,
                        [.pointer(doubles), .pointer(doubles + 3 * C), .pointer(dge.address), .pointer(dbe.address), .int(Int32(C))])
            elementwise("bn_backward_coefficients", count: C,
                        [.pointer(doubles), .pointer(doubles + 2 * C), .pointer(doubles + 3 * C), .pointer(g.address), .double(Double(rows)),
                         .pointer(coefficients), .pointer(coefficients + C), .pointer(coefficients + 2 * C), .int(Int32(C))])
            elementwise("bn_backward_apply", count: count, blocks: 3,
                        [.pointer(x.address), .pointer(dy.address), .pointer(dxe.address), .pointer(coefficients), .pointer(coefficients + C),
                         .pointer(coefficients + 2 * C), .long(Int64(count)), .int(Int32(C))])
            assertClose(dxe.toArray(), dx.toArray(), "batch-norm dx \(shape)")
            assertClose(dge.toArray(), dg.toArray(), "batch-norm dgamma \(shape)")
            assertClose(dbe.toArray(), db.toArray(), "batch-norm dbeta \(shape)")
        }
    }

    func testSoftmaxCrossEntropyForwardAndBackward() {
        // 37 rows over the 32 warps of the one 1024-thread block (some warps take two rows); 10 and 45 classes.
        for (n, k, smoothing) in [(37, 10, Float(0)), (5, 45, Float(0.1)), (64, 3, Float(0.2))] {
            var z = values(n * k, seed: UInt64(n * k), scale: 4)
            z[k] = z[k + 1]   // a tie in row 1
            let labels = (0..<n).map { Float(($0 * 7) % k) }
            let zt = host(z, shape: [n, k]), lt = host(labels, shape: [n])
            let p = host([Float](repeating: 0, count: n * k), shape: [n, k]), pe = host([Float](repeating: 0, count: n * k), shape: [n, k])
            let s = host([0, 0], shape: [2]), se = host([0, 0], shape: [2])
            reference.softmaxCrossEntropy(logits: zt, labels: lt, labelSmoothing: smoothing, probabilities: p, statistics: s)
            launch("softmax_cross_entropy", grid: (1, 1, 1), block: (1024, 1, 1),
                   [.pointer(zt.address), .pointer(lt.address), .float(smoothing), .pointer(pe.address), .pointer(se.address),
                    .int(Int32(n)), .int(Int32(k))])
            assertClose(pe.toArray(), p.toArray(), "softmax probabilities \(n)×\(k)")
            assertClose([se.toArray()[0]], [s.toArray()[0]], "mean loss \(n)×\(k)")
            assertIdentical([se.toArray()[1]], [s.toArray()[1]], "correct count \(n)×\(k)")

            let g = host([Float](repeating: 0, count: n * k), shape: [n, k]), ge = host([Float](repeating: 0, count: n * k), shape: [n, k])
            reference.softmaxCrossEntropyBackward(probabilities: p, labels: lt, labelSmoothing: smoothing, normalizer: n, gradient: g)
            elementwise("softmax_cross_entropy_backward", count: n * k, blocks: 1,
                        [.pointer(pe.address), .pointer(lt.address), .float(smoothing), .double(Double(n)), .pointer(ge.address),
                         .int(Int32(n)), .int(Int32(k))])
            assertClose(ge.toArray(), g.toArray(), "softmax cross-entropy gradient \(n)×\(k)")
        }
    }

    func testSoftmaxRowsWithWarpsPastTheLastRow() {
        // 8 rows a 256-thread block: 13 rows leave 3 warps of the second block with no row.
        for (n, k) in [(13, 10), (8, 70), (1, 1)] {
            let z = host(values(n * k, seed: UInt64(n + k), scale: 5), shape: [n, k])
            let p = host([Float](repeating: 0, count: n * k), shape: [n, k]), pe = host([Float](repeating: 0, count: n * k), shape: [n, k])
            reference.softmax(z, into: p)
            launch("softmax_rows", grid: ((n + 7) / 8, 1, 1), block: (256, 1, 1),
                   [.pointer(z.address), .pointer(pe.address), .int(Int32(n)), .int(Int32(k))])
            assertClose(pe.toArray(), p.toArray(), "softmax_rows \(n)×\(k)")
        }
    }

    func testLayoutTransposes() {
        let shape = [2, 3, 5, 7], count = 210
        let v = values(count, seed: 21)
        let nchw = host(v, shape: shape), nhwc = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
        let emulated = host([Float](repeating: 0, count: count), shape: shape, layout: .nhwc)
        reference.permute(nchw, into: nhwc)
        let s: [EmulatedArgument] = shape.map { .int(Int32($0)) }
        elementwise("nchw_to_nhwc", count: count, [.pointer(nchw.address), .pointer(emulated.address)] + s)
        assertIdentical(emulated.toArray(), nhwc.toArray(), "nchw_to_nhwc")
        let back = host([Float](repeating: 0, count: count), shape: shape)
        elementwise("nhwc_to_nchw", count: count, blocks: 1, [.pointer(emulated.address), .pointer(back.address)] + s)
        assertIdentical(back.toArray(), v, "nhwc_to_nchw")
    }

    func testSGDUpdateOverSegments() {
        let count = 1300
        for (momentum, nesterov, first) in [(Float(0), false, true), (0.9, false, true), (0.9, true, false), (0.5, false, false)] {
            let w = values(count, seed: 1), g = values(count, seed: 2), b = values(count, seed: 3)
            let (wr, gr, br) = (host(w, shape: [count]), host(g, shape: [count]), host(b, shape: [count]))
            let (we, ge, be) = (host(w, shape: [count]), host(g, shape: [count]), host(b, shape: [count]))
            let segments = [SGDUpdate.Segment(offset: 0, count: 700, learningRate: 0.1, weightDecay: 5e-4),
                            SGDUpdate.Segment(offset: 700, count: 599, learningRate: 0.01, weightDecay: 0)]
            reference.sgdUpdate(SGDUpdate(values: wr, gradients: gr, momentumBuffer: br, segments: segments,
                                          momentum: momentum, dampening: 0.1, nesterov: nesterov, isFirstStep: first))
            for s in segments {
                elementwise("sgd_update", count: s.count, blocks: 2,
                            [.pointer(we.address), .pointer(ge.address), .pointer(be.address), .long(Int64(s.offset)), .long(Int64(s.count)),
                             .float(s.learningRate), .float(s.weightDecay), .float(momentum), .float(0.1), .int(nesterov ? 1 : 0),
                             .int(first ? 1 : 0)])
            }
            assertClose(we.toArray(), wr.toArray(), "sgd values momentum \(momentum) nesterov \(nesterov)")
            assertClose(be.toArray(), br.toArray(), "sgd momentum buffer momentum \(momentum) nesterov \(nesterov)")
        }
    }
}
