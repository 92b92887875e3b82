import CUDAEmulation
import ReferenceBackend
@_spi(BackendImplementation) import Tensors
import XCTest

/// The kernels of dropout, the convolution's bias and filter layouts, batch-norm inference, LRN and
/// adaptive average pooling, launched as `CUDABackend`'s ops launch them (same arguments, grids and
/// partitions), compared with the `reference` backend's ops. Counts that are not multiples of 256
/// leave a partial last block; `blocks:` forces the grid-stride loop to wrap.
extension EmulatedKernelTests {
    func zeros(_ shape: [Int], layout: MemoryLayout4D = .nchw) -> Tensor {
        host([Float](repeating: 0, count: shape.reduce(1, *)), shape: shape, layout: layout)
    }

    func testDropoutForwardAndBackwardDrawTheReferencesMask() throws {
        // 7 and 75 elements a sample: the last Philox group of each sample is partial. A step past 2³²
        // exercises the counter's high word; a NaN input stays NaN where kept and where dropped (NaN · 0).
        for (shape, p, blocks) in [([3, 7], Float(0.5), nil), ([2, 3, 5, 5], Float(0.3), 1), ([5, 4], Float(0.9), nil)] as [([Int], Float, Int?)] {
            let count = shape.reduce(1, *), samples = shape[0], perSample = count / samples
            var v = values(count, seed: UInt64(count))
            v[3] = .nan
            let key = DropoutKey(seed: 42, stream: 7, step: (1 << 32) + 5, firstSample: 11)
            let x = host(v, shape: shape), y = zeros(shape), ye = zeros(shape)
            let mask = zeros(shape)
            let op = try reference.makeDropout(shape: shape, probability: p)
            op.forward(x: x, y: y, key: key)
            let k = key.philoxKey, groups = samples * ((perSample + 3) / 4)
            elementwise("dropout_forward", count: groups, blocks: blocks,
                        [.pointer(x.address), .pointer(ye.address), .pointer(mask.address), .long(Int64(samples)), .long(Int64(perSample)),
                         .float(p), .float(1 / (1 - p)), .uint32(k[0]), .uint32(k[1]), .uint32(UInt32(truncatingIfNeeded: key.firstSample)),
                         .uint64(key.step)])
            assertIdentical(ye.toArray(), y.toArray(), "dropout_forward \(shape) p \(p)")
            let g = values(count, seed: 3)
            let gr = host(g, shape: shape), ge = host(g, shape: shape)
            op.backward(gradient: gr)
            elementwise("multiply_in_place", count: count, blocks: blocks, [.pointer(ge.address), .pointer(mask.address), .long(Int64(count))])
            assertIdentical(ge.toArray(), gr.toArray(), "multiply_in_place (dropout backward) \(shape) p \(p)")
        }
    }

    func testConvolutionBiasFilterLayoutsAndBiasGradient() throws {
        // 37 output channels leave a partial 32-column block; 675 rows give the partition 2 parts, the last short.
        let cases = [ConvolutionGeometry(batch: 2, inChannels: 3, height: 9, width: 7, outChannels: 37, kernelH: 3, kernelW: 3, padding: 1),
                     ConvolutionGeometry(batch: 3, inChannels: 5, height: 15, width: 15, outChannels: 6, kernelH: 1, kernelW: 2),
                     ConvolutionGeometry(batch: 3, inChannels: 2, height: 17, width: 17, outChannels: 33, kernelH: 3, kernelW: 3, padding: 1)]
        for (index, g) in cases.enumerated() {
            let xShape = [g.batch, g.inChannels, g.height, g.width], yShape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
            let wShape = [g.outChannels, g.inChannels, g.kernelH, g.kernelW]
            let x = host(values(xShape.reduce(1, *), seed: UInt64(index + 1)), shape: xShape, layout: .nhwc)
            let w = host(values(wShape.reduce(1, *), seed: UInt64(index + 2)), shape: wShape)
            let b = host(values(g.outChannels, seed: UInt64(index + 3)), shape: [g.outChannels])
            let op = try reference.makeConvolution(g, propagateDown: false)

            // The filter in cuDNN's OHWI: the NHWC order of the OIHW weights, and back.
            let filterArguments: [EmulatedArgument] = [.int(Int32(g.outChannels)), .int(Int32(g.inChannels)), .int(Int32(g.kernelH * g.kernelW))]
            let ohwi = zeros(wShape, layout: .nhwc), ohwiEmulated = zeros(wShape, layout: .nhwc)
            reference.permute(w, into: ohwi)
            elementwise("oihw_to_ohwi", count: w.count, blocks: index == 1 ? 1 : nil, [.pointer(w.address), .pointer(ohwiEmulated.address)] + filterArguments)
            assertIdentical(ohwiEmulated.toArray(), ohwi.toArray(), "oihw_to_ohwi \(wShape)")
            let oihw = zeros(wShape)
            elementwise("ohwi_to_oihw", count: w.count, [.pointer(ohwiEmulated.address), .pointer(oihw.address)] + filterArguments)
            assertIdentical(oihw.toArray(), w.toArray(), "ohwi_to_oihw \(wShape)")

            // bias_add after the convolution without bias (cuDNN's part) against the convolution with it.
            let y = zeros(yShape, layout: .nhwc), ye = zeros(yShape, layout: .nhwc)
            op.forward(x: x, weight: w, bias: b, y: y)
            op.forward(x: x, weight: w, bias: zeros([g.outChannels]), y: ye)
            let rows = g.batch * g.outHeight * g.outWidth
            elementwise("bias_add", count: rows * g.outChannels, blocks: index == 2 ? 5 : nil,
                        [.pointer(ye.address), .pointer(b.address), .long(Int64(rows)), .int(Int32(g.outChannels))])
            assertClose(ye.toArray(), y.toArray(), "bias_add \(yShape)")

            // CUDABackend.columnSums (column_partials, sum_partials_to_float) against the reference's bias gradient.
            var dyValues = values(y.count, seed: UInt64(index + 9))
            if index == 0 { dyValues[g.outChannels + 4] = .nan }   // NaN reaches its channel's sum only
            let dy = host(dyValues, shape: yShape, layout: .nhwc)
            let dw = zeros(wShape), db = zeros([g.outChannels]), dbe = host([Float](repeating: 7, count: g.outChannels), shape: [g.outChannels])
            op.backward(x: x, weight: w, dy: dy, dx: nil, dweight: dw, dbias: db)
            let (parts, perPart) = partition(rows: rows)
            let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * g.outChannels)
            defer { partial.deallocate() }
            launch("column_partials", grid: ((g.outChannels + 31) / 32, parts, 1), block: (32, 8, 1),
                   [.pointer(dy.address), .pointer(partial), .long(Int64(rows)), .int(Int32(g.outChannels)), .long(Int64(perPart))])
            elementwise("sum_partials_to_float", count: g.outChannels,
                        [.pointer(partial), .pointer(dbe.address), .int(Int32(parts)), .int(Int32(g.outChannels))])
            assertClose(dbe.toArray(), db.toArray(), "column sums (bias gradient) \(yShape), \(parts) parts")
        }
    }

    func testBatchNormInferenceFromRunningStatistics() throws {
        for shape in [[2, 37, 3, 5], [1, 3, 1, 1]] {
            let C = shape[1], count = shape.reduce(1, *)
            var v = values(count, seed: UInt64(count), scale: 3)
            v[count / 2] = .nan
            let x = host(v, shape: shape, layout: .nhwc)
            let y = zeros(shape, layout: .nhwc), ye = zeros(shape, layout: .nhwc)
            let gamma = host(values(C, seed: 3).map { $0 + 1 }, shape: [C]), beta = host(values(C, seed: 4), shape: [C])
            let rm = host(values(C, seed: 5), shape: [C]), rv = host(values(C, seed: 6).map { $0 + 1.2 }, shape: [C])
            let op = try reference.makeBatchNorm(shape: shape, epsilon: 1e-3)
            op.forwardInference(x: x, gamma: gamma, beta: beta, y: y, runningMean: rm, runningVariance: rv)
            let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 2 * C)   // scale, shift
            defer { coefficients.deallocate() }
            elementwise("bn_inference_coefficients", count: C,
                        [.pointer(gamma.address), .pointer(beta.address), .pointer(rm.address), .pointer(rv.address), .float(1e-3),
                         .pointer(coefficients), .pointer(coefficients + C), .int(Int32(C))])
            elementwise("channel_affine", count: count, blocks: 1,
                        [.pointer(x.address), .pointer(ye.address), .pointer(coefficients), .pointer(coefficients + C), .long(Int64(count)),
                         .int(Int32(C))])
            assertClose(ye.toArray(), y.toArray(), "batch-norm inference \(shape)")
        }
    }

    func testLocalResponseNormForwardAndBackward() throws {
        // Windows clipped at both ends, an even size (asymmetric window), a size past the channel count; one NaN.
        let cases: [([Int], LocalResponseNormParameters)] = [
            ([2, 7, 3, 5], LocalResponseNormParameters()),
            ([1, 6, 4, 3], LocalResponseNormParameters(size: 4, alpha: 0.01, beta: 0.5, k: 1)),
            ([3, 3, 2, 2], LocalResponseNormParameters(size: 5, alpha: 1e-3, beta: 0.75, k: 2)),
        ]
        for (index, (shape, parameters)) in cases.enumerated() {
            let count = shape.reduce(1, *)
            var v = values(count, seed: UInt64(index + 30), scale: 4)
            if index == 0 { v[17] = .nan }
            let x = host(v, shape: shape, layout: .nhwc), y = zeros(shape, layout: .nhwc), ye = zeros(shape, layout: .nhwc)
            let op = try reference.makeLocalResponseNorm(shape: shape, parameters)
            op.forward(x: x, y: y)
            let arguments: [EmulatedArgument] = [.long(Int64(count)), .int(Int32(shape[1])), .int(Int32(parameters.size)),
                                                 .float(parameters.alpha), .float(parameters.beta), .float(parameters.k)]
            elementwise("lrn_forward", count: count, blocks: index == 1 ? 1 : nil, [.pointer(x.address), .pointer(ye.address)] + arguments)
            assertClose(ye.toArray(), y.toArray(), "lrn_forward \(shape) size \(parameters.size)")
            let dy = host(values(count, seed: UInt64(index + 40)), shape: shape, layout: .nhwc)
            let dx = zeros(shape, layout: .nhwc), dxe = zeros(shape, layout: .nhwc)
            op.backward(x: x, dy: dy, dx: dx)
            elementwise("lrn_backward", count: count, blocks: index == 2 ? 1 : nil,
                        [.pointer(x.address), .pointer(dy.address), .pointer(dxe.address)] + arguments)
            assertClose(dxe.toArray(), dx.toArray(), "lrn_backward \(shape) size \(parameters.size)")
        }
    }

    func testAdaptiveAveragePoolForwardAndBackwardWithOverlappingBins() throws {
        // 7×5 → 3×2 (bins overlap), 3×3 → 7×7 (more outputs than inputs: repeated bins), 14×14 → 7×7; one NaN.
        for (index, (shape, oh, ow)) in [([2, 3, 7, 5], 3, 2), ([1, 4, 3, 3], 7, 7), ([2, 5, 14, 14], 7, 7)].enumerated() {
            let count = shape.reduce(1, *), outShape = [shape[0], shape[1], oh, ow], outCount = outShape.reduce(1, *)
            var v = values(count, seed: UInt64(index + 50))
            if index == 0 { v[9] = .nan }
            let x = host(v, shape: shape, layout: .nhwc), y = zeros(outShape, layout: .nhwc), ye = zeros(outShape, layout: .nhwc)
            let op = try reference.makeAdaptiveAveragePool(inputShape: shape, outHeight: oh, outWidth: ow)
            op.forward(x: x, y: y)
            let arguments: [EmulatedArgument] = shape.map { .int(Int32($0)) } + [.int(Int32(oh)), .int(Int32(ow))]
            elementwise("adaptive_average_forward", count: outCount, blocks: index == 1 ? 1 : nil,
                        [.pointer(x.address), .pointer(ye.address)] + arguments)
            assertClose(ye.toArray(), y.toArray(), "adaptive_average_forward \(shape) → \(oh)×\(ow)")
            var dyValues = values(outCount, seed: UInt64(index + 60))
            if index == 1 { dyValues[2] = .nan }
            let dy = host(dyValues, shape: outShape, layout: .nhwc)
            let dx = zeros(shape, layout: .nhwc), dxe = zeros(shape, layout: .nhwc)
            op.backward(dy: dy, dx: dx)
            elementwise("adaptive_average_backward", count: count, blocks: index == 2 ? 3 : nil,
                        [.pointer(dy.address), .pointer(dxe.address)] + arguments)
            assertClose(dxe.toArray(), dx.toArray(), "adaptive_average_backward \(shape) → \(oh)×\(ow)")
        }
    }
}
