import Foundation
import NN
import Reports
import TensorBoard

/// Logs a training run to a TensorBoard event file in its output directory, as an observer
/// of the `Trainer` placed after its standard observers (it logs the pictures they write):
///
/// - every step: `train/loss` and `train/accuracy` (running over the epoch so far, the
///   progress line's numbers), `train/learning_rate`, `train/images_per_second`;
/// - every validation: `validation/loss`, `validation/top1`, `validation/top5`, and with
///   `histograms` every parameter's values as `weights/<name>`;
/// - at the start: the configuration as text (`configuration`); at the end: the pictures the
///   trainer writes (`curves.png`, `confusion.png`, `predictions.png`) as images.
///
/// Steps are optimizer steps. A resumed run writes a new file and skips what earlier files
/// already hold (see `EventFileWriter`). A file that cannot be written stops the logging with
/// one warning, not the training.
public final class TensorBoardLogger: TrainingObserver {
    /// The directory of the event files (the run's output directory).
    public let directory: URL
    /// The file this run writes, opened when the run starts (nil before, or when it could not be opened).
    public private(set) var writer: EventFileWriter?
    public let histograms: Bool
    private let warn: (String) -> Void
    private var failed = false
    private var clock = Date()
    private var imagesAtClock: Double = 0
    private var epochAtClock = -1

    /// Logs to a new event file in `directory`, opened when the run starts (once the trainer
    /// has checked the directory), after the steps its existing event files hold.
    public init(directory: URL, histograms: Bool = false,
                warn: @escaping (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }) {
        self.directory = directory
        self.histograms = histograms
        self.warn = warn
    }

    /// The tags of the pictures logged at the end, with their files in the output directory.
    public static let pictures = [("curves", "curves.png"), ("confusion_matrix", "confusion.png"), ("predictions", "predictions.png")]

    public func trainerStarted(_ start: TrainingStart) {
        let (configuration, preprocessing, classNames, state) = (start.configuration, start.preprocessing, start.classNames, start.state)
        struct Described: Encodable { let configuration: TrainingConfiguration; let preprocessing: Preprocessing; let classNames: [String] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = (try? encoder.encode(Described(configuration: configuration, preprocessing: preprocessing, classNames: classNames)))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // Markdown: indented by four spaces, the JSON shows as a code block.
        let text = "**\(configuration.model.summaryLine)**, \(configuration.data.kind) data `\(configuration.data.path)`\n\n"
            + json.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        log { writer = try EventFileWriter(directory: directory, skipping: try EventDirectory(contentsOf: directory).lastSteps) }
        log { try writer?.addText("configuration", text, step: state.optimizerSteps) }
        clock = Date()
        imagesAtClock = state.epochTotals.images
        epochAtClock = state.epoch
    }

    public func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision {
        let now = Date(), step = state.optimizerSteps, t = state.epochTotals
        if epoch != epochAtClock { imagesAtClock = 0; epochAtClock = epoch }  // totals restart with every epoch
        let rate = (t.images - imagesAtClock) / max(now.timeIntervalSince(clock), 1e-9)
        clock = now; imagesAtClock = t.images
        log {
            try writer?.addScalars([("train/loss", t.meanLoss), ("train/accuracy", t.accuracy),
                                    ("train/learning_rate", Double(state.learningRate)), ("train/images_per_second", rate)],
                                   step: step, wallTime: now)
        }
        return .proceed
    }

    public func trainerValidated(_ v: TrainingValidation) {
        let step = v.state.optimizerSteps
        log {
            try writer?.addScalars([("validation/loss", v.metrics.validationLoss), ("validation/top1", v.metrics.validationTop1),
                                    ("validation/top5", v.metrics.validationTop5)], step: step)
            if histograms {
                for (name, p) in v.network.namedParameters + v.network.namedBuffers {
                    try writer?.addHistogram("weights/\(name)", values: p.value.toArray(), step: step)
                }
            }
            guard v.isLast else { return }
            for (tag, file) in Self.pictures {
                let url = v.outputDirectory.appendingPathComponent(file)
                guard let bytes = try? [UInt8](Data(contentsOf: url)) else { continue }
                let image = try PNGFile.decode(bytes, name: url.path)
                try writer?.addImage(tag, png: bytes, width: image.width, height: image.height, channels: 3, step: step)  // decoded as RGB
            }
        }
        // The clock of the images/s restarts after the validation.
        clock = Date()
    }

    private func log(_ body: () throws -> Void) {
        guard !failed else { return }
        do { try body() } catch {
            failed = true
            warn("TensorBoard logging stops: \(error)")
        }
    }
}
