import Foundation
import NN
import Tensors
import Training
import VGG

/// Checkpoints of both formats opened as `vgg eval` and `vgg predict` do (`TrainedModel`:
/// read, check, build the network its header describes, load the weights), then the momentum,
/// every tensor, the preprocessing pipelines and the schedule. The file's checksum is
/// recomputed first (`CheckpointChecksum`), so that mutated files get past it, except for
/// inputs whose length is 7 modulo 16, which test the check itself.
enum CheckpointHarness {
    static func run(_ bytes: [UInt8]) {
        var file = bytes
        if bytes.count % 16 != 7 { CheckpointChecksum.patch(&file) }
        let path = Scratch.write(file, to: "input.ckpt")
        do {
            let model = try TrainedModel(contentsOf: URL(fileURLWithPath: path), on: TinyNetwork.backend)
            let checkpoint = model.checkpoint
            FuzzCheck.expect(model.network.parameterCount + model.network.bufferStore.count <= checkpoint.storedValueCount,
                             "the network is larger than the tensors stored")
            let sgd = SGD(store: model.network.store, learningRate: 0.01)
            try checkpoint.loadOptimizer(into: sgd, network: model.network)
            for name in checkpoint.tensorNames.prefix(256) { _ = try checkpoint.values(name) }
            _ = model.preprocessing.trainingPipeline()
            _ = model.preprocessing.evaluationPipeline()
            var scheduler = checkpoint.header.state.scheduler
            for _ in 0..<3 { scheduler.epochEnded(validationAccuracy: 0.5) }
        } catch { FuzzCheck.namesFile(error, path) }
    }

    // MARK: seeds

    static func header(_ o: VGGOptions, _ edit: (inout CheckpointHeader) -> Void = { _ in }) -> CheckpointHeader {
        var c = TrainingConfiguration(model: o, data: DatasetSpec(kind: .idx, path: "/nonexistent/fashion-mnist"))
        c.epochs = 2
        var pre = Preprocessing(mean: [0.5, 0.4, 0.3])
        pre.std = [0.2, 0.2, 0.2]
        pre.trainScale = [32, 40]
        pre.crop = 32
        pre.flip = true
        var state = TrainingState(scheduler: LearningRateScheduler(c.schedule, baseLearningRate: c.learningRate))
        state.epoch = 1
        state.optimizerSteps = 3
        var h = CheckpointHeader(configuration: c, preprocessing: pre, classNames: ["a", "b", "c"], state: state)
        edit(&h)
        return h
    }

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let dir = Scratch.directory("seeds")
        func written(_ name: String, _ h: CheckpointHeader, _ network: Sequential, momentum: Bool = true) throws -> (String, [UInt8]) {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(name)
            let sgd = momentum ? SGD(store: network.store, learningRate: 0.01) : nil
            try Checkpoint.write(h, network: network, optimizer: sgd, to: url)
            return (name, Array(try Data(contentsOf: url)))
        }
        let tiny = try TinyNetwork.initialised()
        var plain = TinyNetwork.options
        plain.batchNorm = false
        plain.adaptivePool = 1
        var huge = TinyNetwork.options
        huge.classifierWidth = 1 << 20
        return [
            try written("tiny-vgg-a-bn.ckpt", header(TinyNetwork.options), tiny),
            try written("tiny-vgg-a-bn-no-momentum.ckpt", header(TinyNetwork.options), tiny, momentum: false),
            try written("tiny-vgg-a-avgpool.ckpt", header(plain), try TinyNetwork.initialised(plain)),
            try written("header-claims-huge-classifier.ckpt", header(huge), tiny),
            try written("scale-range-reversed.ckpt", header(TinyNetwork.options) { $0.preprocessing.trainScale = [300, 200] }, tiny),
            try written("scale-range-empty.ckpt", header(TinyNetwork.options) { $0.preprocessing.trainScale = [] }, tiny),
            try written("zero-test-scale.ckpt", header(TinyNetwork.options) { $0.preprocessing.testScale = 0 }, tiny),
            try written("zero-std.ckpt", header(TinyNetwork.options) { $0.preprocessing.std = [0, 1, 1] }, tiny),
            try written("colour-shift-mismatch.ckpt", header(TinyNetwork.options) {
                $0.preprocessing.colorShift = true; $0.preprocessing.eigenvalues = [1, 2, 3]; $0.preprocessing.eigenvectors = [1]
            }, tiny),
        ]
    }

    /// Checkpoints of the first format, written as that build did (see `LegacyCheckpoint`).
    static func legacySeeds() throws -> [(name: String, bytes: [UInt8])] {
        let tiny = try TinyNetwork.initialised()
        let good = try legacy(header(TinyNetwork.options), tiny)
        var huge = TinyNetwork.options
        huge.classifierWidth = 1 << 20
        let hugeCount = try legacy(header(TinyNetwork.options), tiny) { entries in
            entries.enumerated().map { $0.offset == 0 ? ["name": $0.element["name"]!, "count": 1 << 62] : $0.element }
        }
        return [
            ("tiny-vgg-a-bn-format1.ckpt", good),
            ("format1-claims-huge-classifier.ckpt", try legacy(header(huge), tiny)),
            ("format1-tensor-count-2pow62.ckpt", hugeCount),
            ("format1-truncated.ckpt", Array(good.prefix(good.count / 2))),
            ("format1-magic-only.ckpt", Array("VGGSWIFT".utf8)),
        ]
    }

    /// The bytes of a format-1 checkpoint of `network` with `h`'s contents.
    /// `edit` may change the header's list of tensors (name, count) after the fact.
    static func legacy(_ h: CheckpointHeader, _ network: Sequential,
                       edit: ([[String: Any]]) -> [[String: Any]] = { $0 }) throws -> [UInt8] {
        func json<T: Encodable>(_ v: T) throws -> Any {
            let e = JSONEncoder()
            e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try JSONSerialization.jsonObject(with: try e.encode(v), options: [.fragmentsAllowed])
        }
        var tensors: [(String, [Float])] = []
        for (name, p) in network.namedParameters { tensors.append(("param." + name, p.value.toArray())) }
        for (name, p) in network.namedBuffers { tensors.append(("buffer." + name, p.value.toArray())) }
        tensors.append(("momentum", [Float](repeating: 0.25, count: network.store.count)))
        let object: [String: Any] = [
            "configuration": try json(h.configuration), "preprocessing": try json(h.preprocessing),
            "classNames": h.classNames, "epoch": h.state.epoch, "batchInEpoch": 0, "sgdSteps": h.state.optimizerSteps,
            "learningRate": h.state.learningRate, "scheduler": try json(h.state.scheduler),
            "batchesTracked": network.batchNormLayers.map { _ in 16 }, "history": [Any](), "bestAccuracy": 0.25,
            "epochProgress": [1.5, 2, 4, 0.5], "batchCurve": [[0.5, 2.3, 0.25]],
            "tensors": edit(tensors.map { ["name": $0.0, "count": $0.1.count] }),
        ]
        let header = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        var out = Array("VGGSWIFT".utf8)
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        le(UInt32(1))
        le(UInt64(header.count))
        out += header
        for (_, values) in tensors { values.withUnsafeBytes { out += $0 } }
        le(UInt64(0))
        CheckpointChecksum.patch(&out)
        return out
    }
}
