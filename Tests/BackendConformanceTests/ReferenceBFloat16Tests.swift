import XCTest
import ReferenceBackend
import Tensors

/// The `reference` backend in bf16 (docs/precision.md) against the definition computed
/// independently: each op run by the fp32 reference on bf16-rounded inputs, weights and
/// incoming gradients, then its activation outputs and activation-input gradients rounded.
/// The bf16 op must give exactly those bits (so every such output is bf16-representable),
/// leave its float32 inputs and masters untouched, and give weight, bias and γ/β gradients,
/// statistics, probabilities and the loss exactly as the fp32 op on the rounded operands,
/// not rounded. Inputs are ordinary float32 Gaussians (not bf16), so reading rounded is
/// seen, and each bf16 output must differ from the fp32 op's on the unrounded inputs.
final class ReferenceBFloat16Tests: XCTestCase {
    let fp32 = ReferenceBackend(threads: 2)
    let bf16 = ReferenceBackend(threads: 2, precision: .bf16)

    /// A host copy of `t` with every value rounded to bf16.
    func rounded(_ t: Tensor) -> Tensor {
        Tensor(t.toArray().map(BFloat16.rounded), shape: t.shape, layout: t.layout, on: HostMemory.shared)
    }

    /// Asserts `mixed` (the bf16 op's results) against `oracle` (the fp32 op's on rounded
    /// operands): the results named in `roundedResults` equal the oracle's rounded, bit for
    /// bit; those in `float32Results` equal the oracle's unrounded, and some of their values
    /// are not bf16 values (they were kept in float32); each of `roundedResults` differs
    /// from `plain` (the fp32 op on the unrounded inputs) where `plain` is given.
    func assertFollowsTheDefinition(_ mixed: [[Float]], _ oracle: [[Float]], plain: [[Float]]? = nil,
                                    rounded roundedResults: [Int: String], float32 float32Results: [Int: String] = [:],
                                    _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for (k, name) in roundedResults {
            let notBF16 = mixed[k].filter { BFloat16.rounded($0).bitPattern != $0.bitPattern }
            XCTAssertTrue(notBF16.isEmpty, "\(what) \(name): \(notBF16.count) values are not bf16, e.g. \(notBF16.first ?? 0)", file: file, line: line)
            assertIdentical(mixed[k], oracle[k].map(BFloat16.rounded), "\(what) \(name)", file: file, line: line)
            if let plain { XCTAssertNotEqual(mixed[k], plain[k], "\(what) \(name): bf16 gave the fp32 result", file: file, line: line) }
        }
        for (k, name) in float32Results {
            assertIdentical(mixed[k], oracle[k], "\(what) \(name) (float32)", file: file, line: line)
            XCTAssertTrue(mixed[k].contains { BFloat16.rounded($0).bitPattern != $0.bitPattern },
                          "\(what) \(name): every value is bf16; it should have been kept in float32", file: file, line: line)
        }
    }

    /// Asserts the op left its inputs (float32 masters included) as they were.
    func assertUnchanged(_ tensors: [Tensor], _ before: [[Float]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for (t, values) in zip(tensors, before) { assertIdentical(t.toArray(), values, "\(what): an input was changed", file: file, line: line) }
    }

    func testSettings() {
        XCTAssertEqual(fp32.precision, .fp32)
        XCTAssertEqual(bf16.precision, .bf16)
        XCTAssertTrue(bf16.settingsSummary.contains("precision bf16"), bf16.settingsSummary)
    }

    func testConvolution() throws {
        var data = TestData(seed: 31)
        for g in [ConvolutionGeometry(batch: 2, inChannels: 5, height: 7, width: 5, outChannels: 6, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
                  ConvolutionGeometry(batch: 1, inChannels: 3, height: 6, width: 6, outChannels: 4, kernelH: 3, kernelW: 3, stride: 2, padding: 1)] {
            let x = data.tensor([g.batch, g.inChannels, g.height, g.width])
            let weight = data.tensor([g.outChannels, g.inChannels, g.kernelH, g.kernelW], layout: .nchw, scale: 0.3)
            let bias = data.tensor([g.outChannels], scale: 0.1)
            let dy = data.tensor([g.batch, g.outChannels, g.outHeight, g.outWidth])
            func run(_ backend: ReferenceBackend, _ x: Tensor, _ weight: Tensor, _ bias: Tensor, _ dy: Tensor) throws -> [[Float]] {
                let op = try backend.makeConvolution(g, propagateDown: true)
                let y = filled([g.batch, g.outChannels, g.outHeight, g.outWidth])
                op.forward(x: x, weight: weight, bias: bias, y: y)
                let dx = filled(x.shape), dweight = filled(weight.shape, layout: .nchw), dbias = filled(bias.shape)
                op.backward(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
                return [y.toArray(), dx.toArray(), dweight.toArray(), dbias.toArray()]
            }
            let inputs = [x, weight, bias, dy], before = inputs.map { $0.toArray() }
            let mixed = try run(bf16, x, weight, bias, dy)
            assertUnchanged(inputs, before, "convolution \(g)")
            assertFollowsTheDefinition(mixed, try run(fp32, rounded(x), rounded(weight), rounded(bias), rounded(dy)),
                                       plain: try run(fp32, x, weight, bias, dy),
                                       rounded: [0: "y", 1: "dx"], float32: [2: "dweight", 3: "dbias"], "convolution \(g)")
        }
    }

    func testLinear() throws {
        var data = TestData(seed: 32)
        let (n, i, o) = (3, 37, 11)
        let x = data.tensor([n, i]), weight = data.tensor([o, i], scale: 0.2), bias = data.tensor([o], scale: 0.1)
        let dy = data.tensor([n, o])
        func run(_ backend: ReferenceBackend, _ x: Tensor, _ weight: Tensor, _ bias: Tensor, _ dy: Tensor) throws -> [[Float]] {
            let op = try backend.makeLinear(batch: n, inFeatures: i, outFeatures: o, propagateDown: true)
            let y = filled([n, o]), dx = filled([n, i]), dweight = filled([o, i]), dbias = filled([o])
            op.forward(x: x, weight: weight, bias: bias, y: y)
            op.backward(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
            return [y.toArray(), dx.toArray(), dweight.toArray(), dbias.toArray()]
        }
        let inputs = [x, weight, bias, dy], before = inputs.map { $0.toArray() }
        let mixed = try run(bf16, x, weight, bias, dy)
        assertUnchanged(inputs, before, "linear")
        assertFollowsTheDefinition(mixed, try run(fp32, rounded(x), rounded(weight), rounded(bias), rounded(dy)),
                                   plain: try run(fp32, x, weight, bias, dy),
                                   rounded: [0: "y", 1: "dx"], float32: [2: "dweight", 3: "dbias"], "linear")
    }

    /// Training forward and backward, then inference on the updated running statistics,
    /// which (like dγ and dβ) stay float32.
    func testBatchNorm() throws {
        var data = TestData(seed: 33)
        let shape = [3, 5, 4, 3], c = shape[1]
        let x = data.tensor(shape, mean: 1, scale: 2), dy = data.tensor(shape), xInference = data.tensor(shape, mean: 1, scale: 2)
        let gamma = data.tensor([c], mean: 1, scale: 0.3), beta = data.tensor([c], scale: 0.3)
        let runningMean = data.tensor([c], scale: 0.5)
        let runningVariance = Tensor(data.gaussian(c).map { 1 + abs($0) }, shape: [c], on: HostMemory.shared)
        func run(_ backend: ReferenceBackend, _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, _ dy: Tensor, _ xInference: Tensor) throws -> [[Float]] {
            let op = try backend.makeBatchNorm(shape: shape, epsilon: 1e-5)
            let y = filled(shape), dx = filled(shape), dgamma = filled([c]), dbeta = filled([c]), yInference = filled(shape)
            let rm = copy(of: runningMean), rv = copy(of: runningVariance)
            op.forwardTraining(x: x, gamma: gamma, beta: beta, y: y, runningMean: rm, runningVariance: rv, momentum: 0.1, synchronization: nil)
            op.backward(x: x, gamma: gamma, beta: beta, dy: dy, dx: dx, dgamma: dgamma, dbeta: dbeta, synchronization: nil)
            op.forwardInference(x: xInference, gamma: gamma, beta: beta, y: yInference, runningMean: rm, runningVariance: rv)
            return [y.toArray(), dx.toArray(), yInference.toArray(), rm.toArray(), rv.toArray(), dgamma.toArray(), dbeta.toArray()]
        }
        let inputs = [x, gamma, beta, dy, xInference], before = inputs.map { $0.toArray() }
        let mixed = try run(bf16, x, gamma, beta, dy, xInference)
        assertUnchanged(inputs, before, "batch norm")
        assertFollowsTheDefinition(mixed, try run(fp32, rounded(x), rounded(gamma), rounded(beta), rounded(dy), rounded(xInference)),
                                   plain: try run(fp32, x, gamma, beta, dy, xInference),
                                   rounded: [0: "y", 1: "dx", 2: "inference y"],
                                   float32: [3: "running mean", 4: "running variance", 5: "dgamma", 6: "dbeta"], "batch norm")
    }

    func testLocalResponseNorm() throws {
        var data = TestData(seed: 34)
        let shape = [2, 7, 3, 4], p = LocalResponseNormParameters(size: 5, alpha: 1.5, beta: 0.75, k: 1)
        let x = data.tensor(shape), dy = data.tensor(shape)
        func run(_ backend: ReferenceBackend, _ x: Tensor, _ dy: Tensor) throws -> [[Float]] {
            let op = try backend.makeLocalResponseNorm(shape: shape, p)
            let y = filled(shape), dx = filled(shape)
            op.forward(x: x, y: y)
            op.backward(x: x, dy: dy, dx: dx)
            return [y.toArray(), dx.toArray()]
        }
        let before = [x, dy].map { $0.toArray() }
        let mixed = try run(bf16, x, dy)
        assertUnchanged([x, dy], before, "LRN")
        assertFollowsTheDefinition(mixed, try run(fp32, rounded(x), rounded(dy)), plain: try run(fp32, x, dy),
                                   rounded: [0: "y", 1: "dx"], "LRN")
    }

    func testAdaptiveAveragePool() throws {
        var data = TestData(seed: 35)
        let shape = [2, 3, 5, 7]
        let x = data.tensor(shape), dy = data.tensor([2, 3, 2, 3])
        func run(_ backend: ReferenceBackend, _ x: Tensor, _ dy: Tensor) throws -> [[Float]] {
            let op = try backend.makeAdaptiveAveragePool(inputShape: shape, outHeight: 2, outWidth: 3)
            let y = filled([2, 3, 2, 3]), dx = filled(shape)
            op.forward(x: x, y: y)
            op.backward(dy: dy, dx: dx)
            return [y.toArray(), dx.toArray()]
        }
        let before = [x, dy].map { $0.toArray() }
        let mixed = try run(bf16, x, dy)
        assertUnchanged([x, dy], before, "adaptive average pool")
        assertFollowsTheDefinition(mixed, try run(fp32, rounded(x), rounded(dy)), plain: try run(fp32, x, dy),
                                   rounded: [0: "y", 1: "dx"], "adaptive average pool")
    }

    /// Dropout with p = 0.3: its factor 1/0.7 is not a bf16 value, so the products are rounded.
    func testDropout() throws {
        var data = TestData(seed: 36)
        let shape = [3, 40], key = DropoutKey(seed: 9, stream: 1, step: 4)
        let x = data.tensor(shape), dy = data.tensor(shape)
        func run(_ backend: ReferenceBackend, _ x: Tensor, _ dy: Tensor) throws -> [[Float]] {
            let op = try backend.makeDropout(shape: shape, probability: 0.3)
            let y = filled(shape), gradient = copy(of: dy)
            op.forward(x: x, y: y, key: key)
            op.backward(gradient: gradient)
            return [y.toArray(), gradient.toArray()]
        }
        let before = [x.toArray()]
        let mixed = try run(bf16, x, dy)
        assertUnchanged([x], before, "dropout")
        assertFollowsTheDefinition(mixed, try run(fp32, rounded(x), rounded(dy)), plain: try run(fp32, x, dy),
                                   rounded: [0: "y", 1: "dx"], "dropout")
    }

    /// Max pooling and ReLU are exact on bf16 values: in bf16 they give the fp32 op's bits on
    /// bf16 inputs. With overlapping windows (3, stride 2) the backward sums gradients, and
    /// that sum is rounded.
    func testMaxPoolingAndReLU() throws {
        var data = TestData(seed: 37)
        let g = PoolingGeometry(batch: 2, channels: 3, height: 7, width: 7, kernel: 3, stride: 2, padding: 1)
        let x = rounded(data.tensor([2, 3, 7, 7])), dy = data.tensor([2, 3, g.outHeight, g.outWidth])
        func run(_ backend: ReferenceBackend, _ x: Tensor, _ dy: Tensor) throws -> [[Float]] {
            let op = try backend.makeMaxPooling(g)
            let y = filled([2, 3, g.outHeight, g.outWidth]), dx = filled(x.shape)
            op.forward(x: x, y: y)
            op.backward(dy: dy, dx: dx)
            let relu = try backend.makeReLU(count: y.count)
            let activated = copy(of: y), gradient = copy(of: dy)
            relu.forward(activated)
            relu.backward(output: activated, gradient: gradient)
            return [y.toArray(), dx.toArray(), activated.toArray(), gradient.toArray()]
        }
        let mixed = try run(bf16, x, rounded(dy))
        let oracle = try run(fp32, x, rounded(dy))
        assertFollowsTheDefinition(mixed, oracle, rounded: [0: "max-pool y", 1: "max-pool dx", 2: "ReLU y", 3: "ReLU dx"], "max pool, ReLU")
        assertIdentical(mixed[0], oracle[0], "max-pool forward is exact")
        XCTAssertNotEqual(oracle[1], oracle[1].map(BFloat16.rounded), "overlapping windows should have summed to non-bf16 values")
    }

    /// Probabilities, loss and accuracy are float32 (from the rounded logits); the logits'
    /// gradient is rounded.
    func testSoftmaxCrossEntropy() throws {
        var data = TestData(seed: 38)
        let (n, k) = (4, 7)
        let logits = data.tensor([n, k], scale: 2)
        let labels = Tensor([0, 3, 6, 2], shape: [n], on: HostMemory.shared)
        func run(_ backend: ReferenceBackend, _ logits: Tensor) -> [[Float]] {
            let probabilities = filled([n, k]), statistics = filled([2]), gradient = filled([n, k]), softmax = filled([n, k])
            backend.softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1, probabilities: probabilities, statistics: statistics)
            backend.softmaxCrossEntropyBackward(probabilities: probabilities, labels: labels, labelSmoothing: 0.1, normalizer: n, gradient: gradient)
            backend.softmax(logits, into: softmax)
            return [gradient.toArray(), probabilities.toArray(), softmax.toArray(), [statistics.toArray()[0]]]
        }
        let before = [logits.toArray()]
        let mixed = run(bf16, logits)
        assertUnchanged([logits], before, "cross-entropy")
        assertFollowsTheDefinition(mixed, run(fp32, rounded(logits)), plain: run(fp32, logits),
                                   rounded: [0: "logit gradient"], float32: [1: "probabilities", 2: "soft-max", 3: "loss"], "cross-entropy")
    }

    /// The SGD step updates the float32 master and momentum exactly as in fp32 (the bf16 copy
    /// is made when the ops read the weights).
    func testSGDUpdatesTheFloat32Master() {
        var data = TestData(seed: 39)
        let count = 50
        let values = data.gaussian(count), gradients = data.gaussian(count, scale: 0.01)
        func run(_ backend: ReferenceBackend) -> [[Float]] {
            let w = Tensor(values, shape: [count], on: HostMemory.shared), g = Tensor(gradients, shape: [count], on: HostMemory.shared)
            let b = Tensor(shape: [count], on: HostMemory.shared)
            b.fill(0)
            for step in 0..<2 {
                backend.sgdUpdate(SGDUpdate(values: w, gradients: g, momentumBuffer: b,
                                            segments: [.init(offset: 0, count: count, learningRate: 0.1, weightDecay: 5e-4)],
                                            momentum: 0.9, dampening: 0, nesterov: false, isFirstStep: step == 0))
            }
            return [w.toArray(), b.toArray()]
        }
        assertFollowsTheDefinition(run(bf16), run(fp32), rounded: [:], float32: [0: "master weights", 1: "momentum"], "SGD")
    }
}
