import Foundation
import NN
import Tensors
import Training
import VGG
import TestSupport
import XCTest
import SafeTensorsFormat

/// A checkpoint's header may claim anything: a network larger than the tensors stored is
/// refused before it is built, and values no pipeline or layer accepts are errors naming
/// the file, never crashes (see FuzzTesting/ for the fuzzing of these readers).
final class CheckpointBoundsTests: XCTestCase {
    static let tiny = VGGOptions(configuration: .A, batchNorm: true, classes: 3, inputChannels: 3, inputHeight: 32, inputWidth: 32,
                                 classifierWidth: 4, widthDivisor: 512)

    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-checkpoint-bounds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func header(_ o: VGGOptions = tiny, _ edit: (inout CheckpointHeader) -> Void = { _ in }) -> CheckpointHeader {
        let c = TrainingConfiguration(model: o, data: DatasetSpec(kind: .idx, path: "/nonexistent"))
        var pre = Preprocessing(mean: [0.5, 0.5, 0.5])
        pre.trainScale = [32]
        var h = CheckpointHeader(configuration: c, preprocessing: pre, classNames: ["a", "b", "c"],
                                 state: TrainingState(scheduler: LearningRateScheduler(.constant, baseLearningRate: 0.01)))
        edit(&h)
        return h
    }

    /// A checkpoint of the tiny network with `h` as its header.
    func write(_ h: CheckpointHeader, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        let network = try VGGBuilder.build(Self.tiny, on: TestBackends.reference, initializer: .kaiming, seed: 1)
        try Checkpoint.write(h, network: network, to: url)
        return url
    }

    func assertCheckpointError(_ url: URL, _ fragments: String..., line: UInt = #line) {
        for read in [{ _ = try Checkpoint.read(from: url) }, { _ = try TrainedModel(contentsOf: url, on: TestBackends.reference) }] {
            XCTAssertThrowsError(try read(), line: line) { e in
                XCTAssertTrue(e is CheckpointError, "\(type(of: e)): \(e)", line: line)
                for f in [url.path] + fragments { XCTAssertTrue("\(e)".contains(f), "'\(e)' lacks '\(f)'", line: line) }
            }
        }
    }

    func testAHeaderClaimingAHugeNetworkIsRefusedBeforeItIsBuilt() throws {
        XCTAssertNoThrow(try TrainedModel(contentsOf: try write(header(), "good.ckpt"), on: TestBackends.reference))
        var huge = Self.tiny
        huge.classifierWidth = 1 << 20   // 2⁴⁰ values in the classifier: 4 TiB if it were allocated
        assertCheckpointError(try write(header(huge), "huge.ckpt"), "a network of", "but holds only")
        var overflow = Self.tiny
        overflow.inputHeight = Int.max
        overflow.inputWidth = Int.max
        assertCheckpointError(try write(header(overflow), "overflow.ckpt"), "cannot be built", "too large")
        var dropout = Self.tiny
        dropout.dropout = 2
        assertCheckpointError(try write(header(dropout), "dropout.ckpt"), "cannot be built", "dropout probability 2")
    }

    func testUnusablePreprocessingIsAnError() throws {
        let cases: [(String, (inout Preprocessing) -> Void, String)] = [
            ("reversed", { $0.trainScale = [300, 200] }, "training scale [300, 200]"),
            ("empty", { $0.trainScale = [] }, "training scale []"),
            ("zero", { $0.testScale = 0 }, "test scale 0"),
            ("crop", { $0.crop = -4 }, "crop -4"),
            ("pad", { $0.pad = -1 }, "padding -1"),
            ("std", { $0.std = [0, 1, 1] }, "std"),
            ("stdcount", { $0.std = [1] }, "std"),
            ("eigen", { $0.colorShift = true; $0.eigenvalues = [1, 2, 3]; $0.eigenvectors = [1] }, "eigenvector"),
            ("erasing", { $0.randomErasing = 1.5 }, "random-erasing probability 1.5"),
        ]
        for (name, edit, fragment) in cases {
            assertCheckpointError(try write(header { edit(&$0.preprocessing) }, "\(name).ckpt"), "unusable preprocessing", fragment)
        }
    }

    func testABatchCountThatIsNoCountIsAnError() throws {
        // The checkpoint's tensors with num_batches_tracked stored as a float NaN.
        let network = try VGGBuilder.build(Self.tiny, on: TestBackends.reference, initializer: .kaiming, seed: 1)
        var entries: [(name: String, source: SafeTensorsWriter.Source)] = (network.namedParameters + network.namedBuffers).map { ($0.name, .tensor($0.parameter.value)) }
        entries.append(("features.1.num_batches_tracked", .tensor(Tensor([.nan], shape: [1], on: TestBackends.reference), shape: [])))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try encoder.encode(header()), as: UTF8.self)
        let url = dir.appendingPathComponent("nan.ckpt")
        try SafeTensorsWriter.write(entries, metadata: ["format": "pt", "vgg-swift.checkpoint": json], checksumKey: "vgg-swift.crc32", to: url.path)
        XCTAssertNoThrow(try Checkpoint.read(from: url))
        XCTAssertThrowsError(try TrainedModel(contentsOf: url, on: TestBackends.reference)) { e in
            XCTAssertTrue("\(e)".contains(url.path) && "\(e)".contains("features.1.num_batches_tracked is nan, not a count"), "\(e)")
        }
    }

    func testTorchvisionWeightsAreCheckedBeforeTheirNetworkIsBuilt() throws {
        // classifier.0.weight of shape [10⁹, 0] holds nothing but would size a 10¹⁸-value classifier.
        let wide = dir.appendingPathComponent("wide.safetensors")
        try SafeTensors.write([("classifier.0.weight", SafeTensor(shape: [1_000_000_000, 0], values: []))], metadata: [:], to: wide)
        let tensors = try SafeTensors.read(contentsOf: wide).tensors
        let options = TorchvisionStateDict.options(configuration: .A, batchNorm: false, input: [3, 32, 32], matching: tensors)
        XCTAssertEqual(options.classifierWidth, 1_000_000_000)
        XCTAssertThrowsError(try TorchvisionWeights.importWeights(wide, options: options, on: TestBackends.reference)) { e in
            XCTAssertTrue("\(e)".contains(wide.path) && "\(e)".contains("holds 0 values, fewer than"), "\(e)")
        }
        // A state_dict whose num_batches_tracked is no count is named, not converted.
        let network = try VGGBuilder.build(Self.tiny, on: TestBackends.reference, initializer: .kaiming, seed: 1)
        let stateDict = TorchvisionStateDict.entries(of: network).map {
            $0.name == "features.1.num_batches_tracked" ? ($0.name, SafeTensor(shape: [], values: [.infinity]), SafeTensors.DType.f32) : $0
        }
        let bad = dir.appendingPathComponent("bad.safetensors")
        try SafeTensors.write(stateDict, metadata: [:], to: bad)
        XCTAssertThrowsError(try TorchvisionWeights.importWeights(bad, options: Self.tiny, on: TestBackends.reference)) { e in
            XCTAssertTrue("\(e)".contains(bad.path) && "\(e)".contains("features.1.num_batches_tracked is inf, not a count"), "\(e)")
        }
    }
}
