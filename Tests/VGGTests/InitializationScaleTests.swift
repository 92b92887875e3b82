import NN
import Support
import Tensors
import TestSupport
import VGG
import XCTest

/// Why plain VGG-A on 1×32×32 images trains with `he` and sits at loss ln 10 with torchvision's
/// `kaiming`: the scale of the logits at initialisation, on normalised inputs.
final class InitializationScaleTests: XCTestCase {
    /// Standard deviation of VGG-A's logits (Fashion-MNIST's input; widths ÷4 and a 512-wide
    /// classifier to be quick, which keeps every convolution's in/out ratio) for unit-variance inputs.
    func logitScale(_ initializer: Initializer) throws -> Double {
        let o = VGGOptions(configuration: .A, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                           classifierWidth: 512, widthDivisor: 4)
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: initializer, seed: 5)
        var rng = Xoshiro256(seed: 6)
        let x = Tensor((0..<(8 * 32 * 32)).map { _ in Float(rng.nextGaussian()) }, shape: [8, 1, 32, 32], on: net.backend)
        let logits = try net.forward(x, .inference).toArray().map(Double.init)
        let mean = logits.reduce(0, +) / Double(logits.count)
        return (logits.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logits.count)).squareRoot()
    }

    func testHeKeepsTheLogitsAtUnitScaleWhereKaimingShrinksThem() throws {
        let he = try logitScale(.he), kaiming = try logitScale(.kaiming)
        // He's fan-in form keeps each layer's second moment: logits of the input's order.
        XCTAssertGreaterThan(he, 0.1)
        XCTAssertLessThan(he, 10)
        // torchvision's fan-out convolutions lose 64× in variance at the 1-channel first layer and
        // more at every widening one; its N(0, 0.01) linear layers shrink the rest: a soft-max of
        // nearly equal logits whose gradients are as small.
        XCTAssertLessThan(kaiming, 0.05)
        XCTAssertGreaterThan(he / kaiming, 20)
        XCTAssertEqual(Initializer.default(batchNorm: false), .he)
        XCTAssertEqual(Initializer.default(batchNorm: true), .kaiming)
    }
}
