import Foundation
import Tensors
import NN
import VGG
import TestSupport
import XCTest
import SafeTensorsFormat
import PyTorchFormat

/// torchvision state_dicts in and out: reduced vgg11 / vgg11_bn fixtures written by
/// tools/make_torchvision_fixtures.py (torchvision's layout, 7×7 avgpool over a 2×3 final map)
/// give torch's eval-mode logits; the state_dict written back is the same file, byte for byte;
/// keys that do not fit are reported by name.
final class TorchvisionInteropTests: XCTestCase {
    func fixtureURL(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"), "no fixture \(name)")
    }

    func fixture(_ name: String) throws -> [String: SafeTensor] {
        try SafeTensors.read(contentsOf: try fixtureURL(name)).tensors
    }

    /// The network the weights describe, for an input of `input` (C, H, W), weights loaded.
    func network(_ weights: [String: SafeTensor], batchNorm: Bool, input: [Int]) throws -> (Sequential, VGGOptions) {
        let o = TorchvisionStateDict.options(configuration: .A, batchNorm: batchNorm, input: input, matching: weights)
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: nil)
        try TorchvisionStateDict.load(weights, into: net, path: "fixture")
        return (net, o)
    }

    func runLogits(_ name: String, batchNorm: Bool) throws {
        let weights = try fixture(name)
        let io = try fixture(name + "_io")
        let x = try XCTUnwrap(io["input"]), expected = try XCTUnwrap(io["logits"])
        XCTAssertEqual(x.shape, [2, 3, 64, 96])
        let (net, o) = try network(weights, batchNorm: batchNorm, input: Array(x.shape.dropFirst()))
        XCTAssertEqual(o.widthDivisor, 16)
        XCTAssertEqual(o.classifierWidth, 64)
        XCTAssertEqual(o.classes, 10)
        XCTAssertEqual(o.adaptivePool, 7)
        let logits = try net.forward(Tensor(x.values, shape: x.shape, on: TestBackends.primary), .inference)
        XCTAssertEqual(logits.shape, expected.shape)
        let scale = expected.values.map(abs).max()!
        XCTAssertGreaterThan(scale, 0.5, "logits should be O(1)")
        let worst = zip(logits.toArray(), expected.values).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst / scale, 1e-4, "max abs diff \(worst), scale \(scale)")
    }

    func testTinyVGG11LogitsMatchTorch() throws { try runLogits("tv_vgg11_tiny", batchNorm: false) }
    func testTinyVGG11BatchNormLogitsMatchTorch() throws { try runLogits("tv_vgg11_bn_tiny", batchNorm: true) }

    func testStateDictWrittenBackIsTheSameFile() throws {
        for (name, batchNorm) in [("tv_vgg11_tiny", false), ("tv_vgg11_bn_tiny", true)] {
            let url = try fixtureURL(name)
            let (weights, metadata) = try SafeTensors.read(contentsOf: url)
            let (net, _) = try network(weights, batchNorm: batchNorm, input: [3, 64, 96])
            let entries = TorchvisionStateDict.entries(of: net)
            XCTAssertEqual(Set(entries.map(\.name)), Set(weights.keys), name)
            if batchNorm {
                let tracked = entries.filter { $0.name.hasSuffix("num_batches_tracked") }
                XCTAssertEqual(tracked.count, 8)
                for e in tracked {
                    XCTAssertEqual(e.dtype, .i64); XCTAssertEqual(e.tensor.shape, []); XCTAssertEqual(e.tensor.values, [1234])
                }
            }
            // Same tensors, dtypes, layout and metadata: the bytes of safetensors.torch.save_file.
            let bytes = try SafeTensors.encode(entries, metadata: metadata)
            XCTAssertEqual(bytes, try Data(contentsOf: url), name)
        }
    }

    func assertMismatch(_ weights: [String: SafeTensor], batchNorm: Bool, mentions: [String], file: StaticString = #filePath, line: UInt = #line,
                        _ check: (TorchvisionWeightsError) -> Void = { _ in }) throws {
        let o = VGGOptions(configuration: .A, batchNorm: batchNorm, classes: 10, inputChannels: 3, inputHeight: 64, inputWidth: 96,
                           classifierWidth: 64, widthDivisor: 16, adaptivePool: 7)
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: nil)
        let before = net.namedParameters.map { $0.parameter.value.toArray() }
        do {
            try TorchvisionStateDict.load(weights, into: net, path: "/weights/w.safetensors")
            XCTFail("accepted weights that do not fit", file: file, line: line)
        } catch let error as TorchvisionWeightsError {
            XCTAssertTrue(error.description.hasPrefix("/weights/w.safetensors: "), error.description, file: file, line: line)
            for m in mentions { XCTAssertTrue(error.description.contains(m), "\(error.description) lacks '\(m)'", file: file, line: line) }
            check(error)
        }
        XCTAssertEqual(net.namedParameters.map { $0.parameter.value.toArray() }, before, "nothing is copied on failure", file: file, line: line)
    }

    func testMissingUnexpectedAndMisshapedKeysAreListedByName() throws {
        var w = try fixture("tv_vgg11_tiny")
        w["features.3.bias"] = nil
        w["classifier.6.weight"] = nil
        w["features.0.extra"] = SafeTensor(shape: [1], values: [0])
        w["classifier.7.weight"] = SafeTensor(shape: [1], values: [0])
        w["features.8.weight"] = SafeTensor(shape: [16, 8, 3, 1], values: [Float](repeating: 0, count: 384))
        w["classifier.0.bias"] = SafeTensor(shape: [65], values: [Float](repeating: 0, count: 65))
        try assertMismatch(w, batchNorm: false, mentions: [
            "missing keys (2): features.3.bias, classifier.6.weight",
            "unexpected keys (2): features.0.extra, classifier.7.weight",
            "features.8.weight is [16, 8, 3, 1], the network needs [16, 16, 3, 3]",
            "classifier.0.bias is [65], the network needs [64]",
        ]) { error in
            XCTAssertEqual(error.missing, ["features.3.bias", "classifier.6.weight"])
            XCTAssertEqual(error.unexpected, ["features.0.extra", "classifier.7.weight"])
            XCTAssertEqual(error.misshaped.map(\.name), ["features.8.weight", "classifier.0.bias"])
            XCTAssertTrue(error.hints.isEmpty)
        }
    }

    func testBatchNormMismatchSaysSo() throws {
        try assertMismatch(try fixture("tv_vgg11_bn_tiny"), batchNorm: false, mentions: ["add --batch-norm", "features.1.running_mean"])
        try assertMismatch(try fixture("tv_vgg11_tiny"), batchNorm: true, mentions: ["drop --batch-norm", "features.1.running_var"])
    }

    func testNumBatchesTrackedMayBeMissingOrOneElement() throws {
        var w = try fixture("tv_vgg11_bn_tiny")
        w["features.1.num_batches_tracked"] = nil
        w["features.5.num_batches_tracked"] = SafeTensor(shape: [1], values: [7])
        let (net, _) = try network(w, batchNorm: true, input: [3, 64, 96])
        let bns = net.layers.compactMap { $0.layer as? BatchNorm2d }
        XCTAssertEqual(bns.map(\.batchesTracked), [0, 7, 1234, 1234, 1234, 1234, 1234, 1234])
        w["features.9.num_batches_tracked"] = SafeTensor(shape: [2], values: [1, 2])
        try assertMismatch(w, batchNorm: true, mentions: ["features.9.num_batches_tracked is [2], the network needs []"])
    }

    func testOptionsReadOffTheWeights() throws {
        // A network trained at 32 px without avgpool: classifier.0 takes the 1×1 final map.
        let small = VGGOptions(configuration: .D, batchNorm: true, classes: 7, inputChannels: 3, inputHeight: 32, inputWidth: 32,
                               classifierWidth: 48, widthDivisor: 8)
        let net = try VGGBuilder.build(small, on: TestBackends.primary, initializer: .kaiming, seed: 3)
        let weights = Dictionary(uniqueKeysWithValues: TorchvisionStateDict.entries(of: net).map { ($0.name, $0.tensor) })
        let o = TorchvisionStateDict.options(configuration: .D, batchNorm: true, input: [3, 32, 32], matching: weights)
        XCTAssertEqual(o, small)
        // The same weights at 224 px would need avgpool 7 (512/8 · 49 inputs): they do not fit, by name.
        let big = TorchvisionStateDict.options(configuration: .D, batchNorm: true, input: [3, 224, 224], matching: weights)
        XCTAssertEqual(big.adaptivePool, 7)
        let bigNet = try VGGBuilder.build(big, on: TestBackends.primary, initializer: nil)
        XCTAssertThrowsError(try TorchvisionStateDict.load(weights, into: bigNet, path: "w")) { error in
            XCTAssertTrue("\(error)".contains("classifier.0.weight is [48, 64], the network needs [48, 3136]"), "\(error)")
        }
        // Full-size torchvision defaults when the weights say nothing.
        let empty = TorchvisionStateDict.options(configuration: .E, batchNorm: false, input: [3, 224, 224], matching: [:])
        XCTAssertEqual(empty, VGGOptions(configuration: .E, classes: 1000, adaptivePool: 7))
    }

    // MARK: torch.save (.pth) files

    /// A `torch.save(model.state_dict())` fixture of tools/make_pth_fixtures.py (conv widths / 32,
    /// classifier 32, input 48×64), read by content through `WeightsFile`, gives torch's logits.
    func runPthLogits(_ name: String, batchNorm: Bool) throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "pth", subdirectory: "Fixtures"), "no fixture \(name).pth")
        let (weights, format) = try WeightsFile.read(contentsOf: url)
        XCTAssertEqual(format, .pytorch)
        let io = try fixture(name + "_pth_io")
        let x = try XCTUnwrap(io["input"]), expected = try XCTUnwrap(io["logits"])
        XCTAssertEqual(x.shape, [2, 3, 48, 64])
        let (net, o) = try network(weights, batchNorm: batchNorm, input: Array(x.shape.dropFirst()))
        XCTAssertEqual(o.widthDivisor, 32)
        XCTAssertEqual(o.classifierWidth, 32)
        XCTAssertEqual(o.classes, 10)
        XCTAssertEqual(o.adaptivePool, 7)
        if batchNorm {
            XCTAssertEqual(net.layers.compactMap { ($0.layer as? BatchNorm2d)?.batchesTracked }, [Int](repeating: 1234, count: 8))
        }
        let logits = try net.forward(Tensor(x.values, shape: x.shape, on: TestBackends.primary), .inference)
        XCTAssertEqual(logits.shape, expected.shape)
        let scale = expected.values.map(abs).max()!
        XCTAssertGreaterThan(scale, 0.5, "logits should be O(1)")
        let worst = zip(logits.toArray(), expected.values).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst / scale, 1e-4, "max abs diff \(worst), scale \(scale)")
    }

    func testTinyVGG11PthLogitsMatchTorch() throws { try runPthLogits("tv_vgg11_tiny", batchNorm: false) }
    func testTinyVGG11BatchNormPthLogitsMatchTorch() throws { try runPthLogits("tv_vgg11_bn_tiny", batchNorm: true) }

    /// A .pth whose tensors do not fit the network: the error names the file and each tensor.
    func testPthShapeMismatchNamesTheTensor() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "tv_vgg11_tiny", withExtension: "pth", subdirectory: "Fixtures"))
        let weights = try WeightsFile.read(contentsOf: url).tensors
        // 100 classes instead of the file's 10.
        let o = VGGOptions(configuration: .A, batchNorm: false, classes: 100, inputChannels: 3, inputHeight: 48, inputWidth: 64,
                           classifierWidth: 32, widthDivisor: 32, adaptivePool: 7)
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: nil)
        XCTAssertThrowsError(try TorchvisionStateDict.load(weights, into: net, path: url.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(url.path + ": "), text)
            XCTAssertTrue(text.contains("classifier.6.weight is [10, 32], the network needs [100, 32]"), text)
            XCTAssertTrue(text.contains("classifier.6.bias is [10], the network needs [100]"), text)
        }
    }

    func testExpectedShapesOfFullVGG16BN() throws {
        let net = try VGGBuilder.build(VGGOptions(configuration: .D, batchNorm: true, adaptivePool: 7), on: TestBackends.primary, initializer: nil)
        let shapes = TorchvisionStateDict.expectedShapes(of: net)
        // torchvision's vgg16_bn().state_dict(): 13 convs × 2 + 13 BNs × 5 + 3 linears × 2.
        XCTAssertEqual(shapes.count, 13 * 2 + 13 * 5 + 6)
        XCTAssertEqual(shapes.first?.name, "features.0.weight")
        XCTAssertEqual(shapes.first { $0.name == "features.41.num_batches_tracked" }?.shape, [])
        XCTAssertEqual(shapes.first { $0.name == "classifier.0.weight" }?.shape, [4096, 25088])
        XCTAssertEqual(shapes.last?.name, "classifier.6.bias")
    }
}
