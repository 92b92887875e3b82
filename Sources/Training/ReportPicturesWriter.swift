import Foundation
import Reports

/// The pictures of a training run, an observer of the `Trainer` (one of its standard
/// observers): after every validation `curves.png` (running training loss and accuracy,
/// validation loss, top-1 and top-5, by epoch); after the last one `confusion.png` (the
/// whole validation set) and `predictions.png` (this process's share of it).
public final class ReportPicturesWriter: TrainingObserver {
    /// The directory the pictures go to.
    public let directory: URL
    /// The formats the pictures are written in (`curves.png`, `curves.svg`, ...); PNG, which
    /// the TensorBoard log shows, by default.
    public var formats: [PlotFormat]

    public init(directory: URL, formats: [PlotFormat] = [.png]) {
        self.directory = directory
        self.formats = formats
    }

    public func trainerValidated(_ v: TrainingValidation) throws {
        try writeCurves(v)
        if v.isLast { try writeFinalPictures(v) }
    }

    private func writeCurves(_ v: TrainingValidation) throws {
        let history = v.state.history, curve = v.state.curve
        let epochs = history.map { Double($0.epoch) }
        let bx = curve.map(\.epoch)
        let loss = CurvePlot.Panel(title: "loss", yLabel: "loss", series: [
            CurvePlot.Series(name: "train loss (running)", values: curve.map(\.loss), x: bx, color: .blue),
            CurvePlot.Series(name: "val loss", values: history.map(\.validationLoss), x: epochs, color: .orange)])
        let acc = CurvePlot.Panel(title: "accuracy", yLabel: "accuracy (%)", series: [
            CurvePlot.Series(name: "train acc (running)", values: curve.map { 100 * $0.accuracy }, x: bx, color: .blue),
            CurvePlot.Series(name: "val top-1", values: history.map { 100 * $0.validationTop1 }, x: epochs, color: .orange),
            CurvePlot.Series(name: "val top-5", values: history.map { 100 * $0.validationTop5 }, x: epochs, color: .green)])
        let curves = CurvePlot(title: v.configuration.model.summaryLine, panels: [loss, acc])
        for format in formats {
            try curves.write(to: directory.appendingPathComponent(format.fileName("curves.png")).path, format: format)
        }
    }

    private func writeFinalPictures(_ v: TrainingValidation) throws {
        let confusion = ConfusionMatrixPlot(counts: v.result.confusion, classNames: v.classNames,
                                            title: "Confusion matrix, top-1 \(String(format: "%.2f", 100 * v.result.top1Accuracy)) %")
        let grid = try PredictionGridSampler.grid(dataset: v.dataset, probabilities: v.probabilities, classes: v.classes,
                                                  classNames: v.classNames, preprocessing: v.preprocessing)
        for format in formats {
            try confusion.write(to: directory.appendingPathComponent(format.fileName("confusion.png")).path, format: format)
            try grid.write(to: directory.appendingPathComponent(format.fileName("predictions.png")).path, format: format)
        }
    }
}
