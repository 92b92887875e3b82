import Tensors
import NN
import Support
import VGG
import TestSupport
import XCTest

/// Dense evaluation (§3.2) against the ordinary network.
final class DenseNetworkTests: XCTestCase {
    func compare(_ o: VGGOptions, file: StaticString = #filePath, line: UInt = #line) throws {
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: .kaiming, seed: 4)
        for (_, p) in net.namedParameters where p.name == "bias" { p.value.copy(from: (0..<p.count).map { Float($0 % 7) * 0.01 }) }
        let dense = try DenseNetwork.make(from: net, options: o)
        var rng = Xoshiro256(seed: 9)
        let shape = [3, o.inputChannels, o.inputHeight, o.inputWidth]
        let x = Tensor((0..<shape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }, shape: shape, on: net.backend)
        let a = try net.forward(x, .inference).toArray()
        let b = try dense.forward(x, .inference).toArray()
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let scale = max(a.map { abs($0) }.max()!, 1e-6)
        for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-5 * scale, file: file, line: line) }
    }

    func testDenseEqualsSingleCropAtTheCropSize() throws {
        try compare(VGGOptions(configuration: .A, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 32, widthDivisor: 16))
        try compare(VGGOptions(configuration: .D, batchNorm: true, classes: 5, inputChannels: 3, inputHeight: 64, inputWidth: 64,
                               classifierWidth: 16, widthDivisor: 16))
    }

    func testDenseRunsOnLargerImagesAndAveragesTheScoreMap() throws {
        let o = VGGOptions(configuration: .A, classes: 4, inputChannels: 1, inputHeight: 32, inputWidth: 32, classifierWidth: 8, widthDivisor: 16)
        let dense = try DenseNetwork.make(from: try VGGBuilder.build(o, on: TestBackends.primary, seed: 1), options: o)
        let x = Tensor((0..<(64 * 96)).map { Float($0 % 13) * 0.1 }, shape: [1, 1, 64, 96], on: dense.backend)
        XCTAssertEqual(try dense.forward(x, .inference).shape, [1, 4])
        XCTAssertThrowsError(try dense.forward(Tensor(shape: [1, 1, 16, 16], on: dense.backend), .inference))
    }
}
