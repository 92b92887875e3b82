import XCTest
import CKernels
import CPUBackend
import ReferenceBackend
import Tensors

/// Dropout masks are a pure function of `DropoutKey` (Philox4x32-10): the `cpu` backend's
/// C kernel and the reference must draw bit-identical masks and outputs, and the generator
/// itself must match Random123's published known-answer vectors.
final class DropoutConformanceTests: XCTestCase {
    /// Random123's `kat_vectors` for philox4x32 with 10 rounds: (counter, key) → output.
    static let knownAnswers: [(counter: SIMD4<UInt32>, key: SIMD2<UInt32>, output: SIMD4<UInt32>)] = [
        (SIMD4(0, 0, 0, 0), SIMD2(0, 0), SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
        (SIMD4(0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), SIMD2(0xffff_ffff, 0xffff_ffff),
         SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
        (SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
         SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
    ]

    func testSwiftPhiloxMatchesRandom123() {
        for v in Self.knownAnswers {
            XCTAssertEqual(Philox.block(counter: v.counter, key: v.key), v.output, "Philox.block(\(v.counter), \(v.key))")
        }
    }

    func testCPhiloxMatchesRandom123() {
        for v in Self.knownAnswers {
            let counter = [v.counter[0], v.counter[1], v.counter[2], v.counter[3]], key = [v.key[0], v.key[1]]
            var out = [UInt32](repeating: 0, count: 4)
            vgg_philox4x32_10(counter, key, &out)
            XCTAssertEqual(out, [v.output[0], v.output[1], v.output[2], v.output[3]], "vgg_philox4x32_10(\(counter), \(key))")
        }
    }

    /// Masks (a forward of ones), outputs and gradients bit-identical, for element counts
    /// that are not multiples of Philox's four words.
    func testMasksAndOutputsAreIdentical() throws {
        var data = TestData(seed: 10)
        let cpu = try Conformance.cpu()
        for shape in [[4, 13 * 7 * 5], [3, 5, 7, 5], [1, 4096], [2, 1], [5, 6]] {
            for p in [Float(0.5), 0.3, 0.1, 0] {
                let key = DropoutKey(seed: 42, stream: 3, step: 0x1_0000_0007, firstSample: 5)
                let x = Tensor(data.gaussian(shape.reduce(1, *)), shape: shape, on: HostMemory.shared)
                let ones = Tensor([Float](repeating: 1, count: x.count), shape: shape, on: HostMemory.shared)
                let gradient = data.gaussian(x.count)
                var masks: [[Float]] = [], outputs: [[Float]] = [], gradients: [[Float]] = []
                for backend in [cpu as any Backend, Conformance.reference] {
                    let op = try backend.makeDropout(shape: shape, probability: p)
                    XCTAssertEqual(op.shape, shape)
                    XCTAssertEqual(op.probability, p)
                    let mask = filled(shape), y = filled(shape)
                    op.forward(x: ones, y: mask, key: key)
                    op.forward(x: x, y: y, key: key)
                    let g = Tensor(gradient, shape: shape, on: HostMemory.shared)
                    op.backward(gradient: g)
                    masks.append(mask.toArray())
                    outputs.append(y.toArray())
                    gradients.append(g.toArray())
                }
                let what = "dropout \(shape) p \(p)"
                assertIdentical(masks[0], masks[1], "mask, \(what)")
                assertIdentical(outputs[0], outputs[1], "forward, \(what)")
                assertIdentical(gradients[0], gradients[1], "backward, \(what)")
                // The mask is 0 or 1/(1 − p), and about 1 − p of it is kept.
                let scale: Float = 1 / (1 - p)
                XCTAssertTrue(masks[1].allSatisfy { $0 == 0 || $0 == scale }, what)
                if masks[1].count >= 1000 {
                    let kept = Float(masks[1].filter { $0 != 0 }.count) / Float(masks[1].count)
                    XCTAssertEqual(kept, 1 - p, accuracy: 0.05, what)
                }
            }
        }
    }

    /// The mask of sample s depends on its global index `firstSample + s`: a batch of 4 at
    /// firstSample 0 draws what two batches of 2 at firstSample 0 and 2 draw, on both backends.
    func testFirstSampleOffsetSplitsABatch() throws {
        let cpu = try Conformance.cpu()
        let perSample = 3 * 5 * 7
        let ones = Tensor([Float](repeating: 1, count: 4 * perSample), shape: [4, perSample], on: HostMemory.shared)
        var whole: [[Float]] = []
        for backend in [cpu as any Backend, Conformance.reference] {
            let full = try backend.makeDropout(shape: [4, perSample], probability: 0.5)
            let mask = filled([4, perSample])
            full.forward(x: ones, y: mask, key: DropoutKey(seed: 7, stream: 1, step: 12, firstSample: 0))
            let half = try backend.makeDropout(shape: [2, perSample], probability: 0.5)
            var parts: [Float] = []
            for first in [0, 2] {
                let part = filled([2, perSample])
                half.forward(x: ones.view(offset: first * perSample, shape: [2, perSample]), y: part,
                             key: DropoutKey(seed: 7, stream: 1, step: 12, firstSample: first))
                parts += part.toArray()
            }
            assertIdentical(parts, mask.toArray(), "\(backend.name): two halves against the whole batch")
            whole.append(mask.toArray())
        }
        assertIdentical(whole[0], whole[1], "cpu against reference, whole batch")
        // Another step, stream or seed draws another mask.
        let reference = try Conformance.reference.makeDropout(shape: [4, perSample], probability: 0.5)
        for key in [DropoutKey(seed: 7, stream: 1, step: 13), DropoutKey(seed: 7, stream: 2, step: 12),
                    DropoutKey(seed: 8, stream: 1, step: 12)] {
            let mask = filled([4, perSample])
            reference.forward(x: ones, y: mask, key: key)
            XCTAssertNotEqual(mask.toArray(), whole[1], "\(key)")
        }
    }

    /// The reference's mask is `DropoutKey`'s definition, element by element.
    func testReferenceFollowsTheKeyDefinition() throws {
        let key = DropoutKey(seed: 1, stream: 2, step: 3, firstSample: 4)
        let (samples, perSample, p): (Int, Int, Float) = (3, 11, 0.4)
        let op = try Conformance.reference.makeDropout(shape: [samples, perSample], probability: p)
        let x = Tensor((0..<(samples * perSample)).map { Float($0) + 1 }, shape: [samples, perSample], on: HostMemory.shared)
        let y = filled([samples, perSample])
        op.forward(x: x, y: y, key: key)
        let values = y.toArray()
        for s in 0..<samples {
            for j in 0..<perSample {
                let block = Philox.block(counter: SIMD4(UInt32(j / 4), UInt32(4 + s), 3, 0), key: key.philoxKey)
                let u = Float(block[j % 4] >> 8) / Float(1 << 24)
                let keep = u >= p
                let xv = Float(s * perSample + j) + 1
                XCTAssertEqual(values[s * perSample + j], keep ? xv * (1 / (1 - p)) : 0, "sample \(s) element \(j)")
            }
        }
    }
}
