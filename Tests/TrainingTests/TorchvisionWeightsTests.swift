import Foundation
import NN
import Tensors
import Training
import VGG
import TestSupport
import XCTest
import SafeTensorsFormat
import PyTorchFormat

/// `vgg import` / `vgg export` in the library: a torchvision state_dict (the fixtures of
/// Tests/VGGTests, from tools/make_torchvision_fixtures.py) → checkpoint → state_dict keeps every
/// value bit for bit; F16/BF16 files import; errors name the file.
final class TorchvisionWeightsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-torchvision-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// The VGGTests fixtures, read from the source tree.
    func fixtureURL(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VGGTests/Fixtures/\(name).safetensors")
    }

    func options(batchNorm: Bool) -> VGGOptions {
        VGGOptions(configuration: .A, batchNorm: batchNorm, classes: 10, inputChannels: 3, inputHeight: 64, inputWidth: 96,
                   classifierWidth: 64, widthDivisor: 16, adaptivePool: 7)
    }

    func testImportThenExportKeepsEveryValueBitForBit() throws {
        for (name, batchNorm) in [("tv_vgg11_tiny", false), ("tv_vgg11_bn_tiny", true)] {
            let source = fixtureURL(name)
            let ckptURL = directory.appendingPathComponent("\(name).ckpt")
            try TorchvisionWeights.importCheckpoint(weights: source, options: options(batchNorm: batchNorm), on: TestBackends.primary, to: ckptURL)

            let checkpoint = try Checkpoint.read(from: ckptURL)
            let header = checkpoint.header
            XCTAssertEqual(header.preprocessing.mean, [0.485, 0.456, 0.406])
            XCTAssertEqual(header.preprocessing.std, [0.229, 0.224, 0.225])
            XCTAssertEqual(header.classNames, (0..<10).map { "class \($0)" })
            XCTAssertEqual(header.configuration.model, options(batchNorm: batchNorm))
            let tracked = checkpoint.tensorNames.filter { $0.hasSuffix("num_batches_tracked") }
            XCTAssertEqual(try tracked.map { try checkpoint.values($0)[0] }, batchNorm ? [Float](repeating: 1234, count: 8) : [])

            let out = directory.appendingPathComponent("\(name).safetensors")
            try TorchvisionWeights.export(checkpoint: ckptURL, to: out, on: TestBackends.primary)
            let original = try SafeTensors.read(contentsOf: source).tensors
            let exported = try SafeTensors.read(contentsOf: out)
            XCTAssertEqual(exported.metadata, ["format": "pt"])
            XCTAssertEqual(Set(exported.tensors.keys), Set(original.keys), name)
            for (key, t) in original {
                let e = try XCTUnwrap(exported.tensors[key])
                XCTAssertEqual(e.shape, t.shape, key)
                XCTAssertEqual(e.values.map(\.bitPattern), t.values.map(\.bitPattern), key)
            }
            // Only the metadata differs from the file torch wrote: same size, same data section.
            let a = try Data(contentsOf: source), b = try Data(contentsOf: out)
            XCTAssertEqual(a.suffix(2_000), b.suffix(2_000), name)
        }
    }

    /// A torch.save .pth file imports like the safetensors file of the same weights (the format is
    /// told by content), and a .pth given where a checkpoint is expected says what to do.
    func testImportsPthFiles() throws {
        let pth = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VGGTests/Fixtures/tv_vgg11_bn_tiny.pth")
        let o = VGGOptions(configuration: .A, batchNorm: true, classes: 10, inputChannels: 3, inputHeight: 48, inputWidth: 64,
                           classifierWidth: 32, widthDivisor: 32, adaptivePool: 7)
        let ckptURL = directory.appendingPathComponent("from-pth.ckpt")
        let network = try TorchvisionWeights.importCheckpoint(weights: pth, options: o, on: TestBackends.primary, to: ckptURL)
        let original = try PyTorchFile.read(contentsOf: pth)
        let imported = Dictionary(uniqueKeysWithValues: TorchvisionStateDict.entries(of: network).map { ($0.name, $0.tensor) })
        XCTAssertEqual(imported, original)
        XCTAssertEqual(try Checkpoint.read(from: ckptURL).header.configuration.model, o)
        XCTAssertThrowsError(try Checkpoint.read(from: pth)) { error in
            XCTAssertTrue("\(error)".contains("a PyTorch .pth file, not a checkpoint"), "\(error)")
            XCTAssertTrue("\(error)".contains("vgg import --weights"), "\(error)")
        }
    }

    func testImportsHalfPrecisionFiles() throws {
        let tensors = try SafeTensors.read(contentsOf: fixtureURL("tv_vgg11_bn_tiny")).tensors
        for dtype in [SafeTensors.DType.f16, .bf16] {
            let url = directory.appendingPathComponent("half-\(dtype.rawValue).safetensors")
            try SafeTensors.write(tensors.map { ($0.key, $0.value, $0.key.hasSuffix("num_batches_tracked") ? .i64 : dtype) }, metadata: [:], to: url)
            let halves = try SafeTensors.read(contentsOf: url).tensors
            let (_, network) = try TorchvisionWeights.importWeights(url, options: options(batchNorm: true), on: TestBackends.primary)
            for (name, p) in network.namedParameters + network.namedBuffers {
                XCTAssertEqual(p.value.toArray(), halves[name]!.values, name)
                let relative = zip(p.value.toArray(), tensors[name]!.values).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
                XCTAssertLessThan(relative, dtype == .f16 ? 2e-3 : 1e-2, "\(dtype) \(name)")
            }
            XCTAssertEqual(network.batchNormLayers.first?.batchesTracked, 1234)
        }
    }

    func testClassNamesFileAndCountCheck() throws {
        let names = directory.appendingPathComponent("names.txt")
        try Data("tench\ngoldfish  \n\ngreat white shark\n".utf8).write(to: names)
        XCTAssertEqual(try TorchvisionWeights.classNames(contentsOf: names), ["tench", "goldfish", "great white shark"])
        XCTAssertThrowsError(try TorchvisionWeights.importWeights(fixtureURL("tv_vgg11_tiny"), options: options(batchNorm: false),
                                                                  classNames: ["tench", "goldfish", "great white shark"], on: TestBackends.primary)) { error in
            XCTAssertTrue("\(error)".contains("3 class names given for a network with 10 classes"), "\(error)")
            XCTAssertTrue("\(error)".contains("tv_vgg11_tiny.safetensors"), "\(error)")
        }
        let ten = (0..<10).map { "n\($0)" }
        let (header, _) = try TorchvisionWeights.importWeights(fixtureURL("tv_vgg11_tiny"), options: options(batchNorm: false), classNames: ten,
                                                               on: TestBackends.primary)
        XCTAssertEqual(header.classNames, ten)
    }

    func testImportErrorsNameTheFile() throws {
        // Mis-fitting keys, by name.
        XCTAssertThrowsError(try TorchvisionWeights.importWeights(fixtureURL("tv_vgg11_bn_tiny"), options: options(batchNorm: false), on: TestBackends.primary)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(self.fixtureURL("tv_vgg11_bn_tiny").path + ": "), text)
            XCTAssertTrue(text.contains("unexpected keys (46): features.1.bias"), text)
            XCTAssertTrue(text.contains("add --batch-norm"), text)
        }
        // A damaged file: cut in the middle of the data section.
        let data = try Data(contentsOf: fixtureURL("tv_vgg11_tiny"))
        let cut = directory.appendingPathComponent("cut.safetensors")
        try data.prefix(data.count / 2).write(to: cut)
        XCTAssertThrowsError(try TorchvisionWeights.importWeights(cut, options: options(batchNorm: false), on: TestBackends.primary)) { error in
            XCTAssertTrue("\(error)".hasPrefix(cut.path + ": "), "\(error)")
            XCTAssertTrue("\(error)".contains("run past the data section"), "\(error)")
        }
        // Not a safetensors file at all.
        let text = directory.appendingPathComponent("notes.safetensors")
        try Data("hello, this is not a tensor file".utf8).write(to: text)
        XCTAssertThrowsError(try TorchvisionWeights.importWeights(text, options: options(batchNorm: false), on: TestBackends.primary)) { error in
            XCTAssertTrue("\(error)".hasPrefix(text.path + ": "), "\(error)")
        }
    }

    func testTorchvisionLayoutCheck() {
        XCTAssertTrue(TorchvisionWeights.matchesTorchvisionLayout(VGGOptions(configuration: .D, adaptivePool: 7)))
        XCTAssertTrue(TorchvisionWeights.matchesTorchvisionLayout(VGGOptions(configuration: .A, batchNorm: true, classes: 10)))  // 224 px: 7×7 map
        XCTAssertFalse(TorchvisionWeights.matchesTorchvisionLayout(VGGOptions(configuration: .A, inputHeight: 32, inputWidth: 32)))
        XCTAssertFalse(TorchvisionWeights.matchesTorchvisionLayout(options(batchNorm: false)))
    }
}
