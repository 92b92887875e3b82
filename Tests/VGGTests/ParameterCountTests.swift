import NN
import VGG
import TestSupport
import XCTest

/// Table 2 of the paper: exact parameter counts (torchvision's, same layers).
final class ParameterCountTests: XCTestCase {
    func count(_ c: VGGConfiguration, bn: Bool = false) throws -> Int {
        // Counting needs no memory: the layers alone.
        try NetworkSummary(layers: try VGGBuilder.layers(VGGOptions(configuration: c, batchNorm: bn)), inputShape: [3, 224, 224]).totalParameters
    }

    func testTable2Counts() throws {
        XCTAssertEqual(try count(.A), 132_863_336)
        XCTAssertEqual(try count(.ALRN), 132_863_336)
        XCTAssertEqual(try count(.B), 133_047_848)
        XCTAssertEqual(try count(.C), 133_638_952)
        XCTAssertEqual(try count(.D), 138_357_544)
        XCTAssertEqual(try count(.E), 143_667_240)
    }

    func testBatchNormCounts() throws {
        XCTAssertEqual(try count(.A, bn: true), 132_868_840)
        XCTAssertEqual(try count(.B, bn: true), 133_053_736)
        XCTAssertEqual(try count(.D, bn: true), 138_365_992)
        XCTAssertEqual(try count(.E, bn: true), 143_678_248)
    }

    func testSmallInputCounts() throws {
        // CIFAR-style A on one channel, classifier 512→4096→4096→10 (PyTorch: 28,142,858).
        let o = VGGOptions(configuration: .A, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32)
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: nil)
        XCTAssertEqual(net.parameterCount, 28_142_858)
        XCTAssertEqual(net.store.count + net.bufferStore.count, 28_142_858, "the flat buffers hold every parameter")
        XCTAssertEqual(try NetworkSummary(network: net, inputShape: [1, 32, 32]).totalParameters, 28_142_858)
        XCTAssertEqual(try NetworkSummary(network: net, inputShape: [1, 32, 32]).totalFLOPs / 1e9, 0.341, accuracy: 0.001)
    }

    func testTooSmallInputIsAClearError() {
        let o = VGGOptions(configuration: .D, classes: 10, inputChannels: 1, inputHeight: 28, inputWidth: 28)
        XCTAssertThrowsError(try VGGBuilder.build(o, on: TestBackends.primary)) { e in
            XCTAssertTrue("\(e)".contains("too small"), "\(e)")
        }
    }

    func testConfigurationDepths() {
        XCTAssertEqual(VGGConfiguration.allCases.map(\.depth), [11, 11, 13, 16, 16, 19])
        XCTAssertEqual(VGGConfiguration(name: "vgg16"), .D)
        XCTAssertEqual(VGGConfiguration(name: "a-lrn"), .ALRN)
    }

    func testPreinitializationCopiesFirstFourConvsAndClassifier() throws {
        let small = { (c: VGGConfiguration, seed: UInt64) in
            try VGGBuilder.build(VGGOptions(configuration: c, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32,
                                            classifierWidth: 16, widthDivisor: 16), on: TestBackends.primary, seed: seed)
        }
        let a = try small(.A, 1), d = try small(.D, 2)
        let copied = try Preinitialization.copy(from: a, into: d)
        XCTAssertEqual(copied.map(\.1), ["features.0", "features.5", "features.10", "features.12",
                                         "classifier.0", "classifier.3", "classifier.6"])
        let aConv = a.layers.first { $0.name == "features.3" }!.layer as! Conv2d
        let dConv = d.layers.first { $0.name == "features.5" }!.layer as! Conv2d
        XCTAssertEqual(aConv.weight.value.toArray(), dConv.weight.value.toArray())
        let dSecond = d.layers.first { $0.name == "features.2" }!.layer as! Conv2d
        XCTAssertEqual(dSecond.weight.shape, [4, 4, 3, 3])
    }
}
