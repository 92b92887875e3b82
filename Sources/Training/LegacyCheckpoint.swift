import Foundation
import NN
import Tensors
import SafeTensorsFormat

/// Reads checkpoints of format version 1 (written before the safetensors container):
/// magic `VGGSWIFT`, format version (u32 LE), JSON header length (u64 LE), the JSON header,
/// the float32 tensors named in it back to back (`param.<name>`, `buffer.<name>`, one flat
/// `momentum`), then an 8-byte checksum of everything before it.
///
/// The header becomes a `CheckpointHeader`. Its dropout generator states have no
/// counterpart any more (masks are now keyed by step and sample): a run resumed from such
/// a checkpoint goes on with the new masks.
struct LegacyCheckpoint {
    static let version: UInt32 = 1

    var header: CheckpointHeader
    var tensors: [String: [Float]]
    var batchesTracked: [Int]

    /// The version-1 JSON header.
    private struct Header: Decodable {
        var configuration: TrainingConfiguration
        var preprocessing: Preprocessing
        var classNames: [String]
        var epoch: Int
        var batchInEpoch: Int
        var sgdSteps: Int
        var learningRate: Float
        var scheduler: LearningRateScheduler
        var batchesTracked: [Int]
        var history: [EpochMetrics]
        var bestAccuracy: Double
        /// Loss sum, correct, seen, seconds of the current epoch.
        var epochProgress: [Double]
        var batchCurve: [[Double]]?
        var tensors: [Entry]
    }

    private struct Entry: Decodable {
        var name: String
        var count: Int
    }

    static func isLegacy(_ url: URL) -> Bool { LegacyContainer.isLegacy(url) }

    static func read(from url: URL) throws -> LegacyCheckpoint {
        let path = url.path
        func fail(_ problem: String) -> Error { CheckpointError(path: path, problem: problem) }
        let container = try LegacyContainer(contentsOf: url, fail: fail)
        guard container.version == version else {
            throw fail("format version \(container.version) is not supported (this build reads versions 1 and \(Checkpoint.formatVersion))")
        }
        let old: Header
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { old = try decoder.decode(Header.self, from: container.header) } catch { throw fail("unreadable header (\(error))") }
        let tensors = try container.tensors(old.tensors.map { ($0.name, $0.count) }, fail: fail)
        var state = TrainingState(scheduler: old.scheduler)
        state.epoch = old.epoch
        state.batchInEpoch = old.batchInEpoch
        state.optimizerSteps = old.sgdSteps
        state.history = old.history
        state.bestAccuracy = old.bestAccuracy
        if old.epochProgress.count == 4 {
            state.epochTotals = .init(lossSum: old.epochProgress[0], correct: old.epochProgress[1],
                                      images: old.epochProgress[2], seconds: old.epochProgress[3])
        }
        state.curve = (old.batchCurve ?? []).filter { $0.count == 3 }.map { .init(epoch: $0[0], loss: $0[1], accuracy: $0[2]) }
        let header = CheckpointHeader(configuration: old.configuration, preprocessing: old.preprocessing,
                                      classNames: old.classNames, state: state)
        return LegacyCheckpoint(header: header, tensors: tensors, batchesTracked: old.batchesTracked)
    }
}
