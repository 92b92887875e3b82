import Data
import Reports

/// The prediction grid of `vgg eval` and of a training run's end: the first 16 wrong and
/// 16 right predictions of a data set, drawn as the network sees them (before normalisation).
public enum PredictionGridSampler {
    /// The grid of `dataset`'s images with `probabilities` (`classes` per image, in dataset order).
    public static func grid(dataset: any ImageDataset, probabilities: [Float], classes: Int, classNames: [String],
                            preprocessing: Preprocessing, columns: Int = 8, cellSize: Int = 112,
                            title: String = "Sample predictions (red: wrong)") throws -> PredictionGrid {
        var wrong: [Int] = [], right: [Int] = []
        let n = min(dataset.count, probabilities.count / max(classes, 1))
        for i in 0..<n where wrong.count < 16 || right.count < 16 {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            let pred = row.indices.max { row[$0] < row[$1] }! - i * classes
            if pred == dataset.label(at: i) { if right.count < 16 { right.append(i) } } else if wrong.count < 16 { wrong.append(i) }
        }
        let display = preprocessing.evaluationPipeline().transforms.filter { !($0 is Normalize) }
        let pipeline = TransformPipeline(display)
        var items: [PredictionGrid.Item] = []
        for i in (wrong + right).sorted() {
            let img = try pipeline.apply(dataset.loadImage(at: i), seed: 0, epoch: 0, position: i)
            let row = Array(probabilities[(i * classes)..<((i + 1) * classes)])
            let pred = row.indices.max { row[$0] < row[$1] }!
            func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : "class \(c)" }
            items.append(PredictionGrid.Item(chw: img.chw(), channels: img.channels, height: img.height, width: img.width,
                                             trueLabel: name(dataset.label(at: i)), predictedLabel: name(pred),
                                             confidence: Double(row[pred])))
        }
        return PredictionGrid(items: items, columns: columns, cellSize: cellSize, title: title)
    }
}
