import Foundation
import Support

/// `metrics.csv` of a training run (one row per finished epoch, `EpochMetrics.csvRow`),
/// rewritten whole and atomically after every validation: an observer of the `Trainer`,
/// one of its standard observers.
public final class MetricsFileWriter: TrainingObserver {
    /// The file written.
    public let url: URL

    /// Writes `metrics.csv` in `directory`.
    public init(directory: URL) {
        url = directory.appendingPathComponent("metrics.csv")
    }

    public func trainerValidated(_ v: TrainingValidation) throws {
        let csv = ([EpochMetrics.csvHeader] + v.state.history.map(\.csvRow)).joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(csv.utf8), to: url)
    }
}
