/// `OUT/eval.json` of `vgg eval --json`: what was evaluated, how, and every number of the
/// text report (a class with no test images has per-class accuracy -1).
struct EvalReport: Codable {
    var checkpoint: String
    var data: String
    var modes: String
    var variants: Int
    /// The test scales, when given; absent from the JSON otherwise.
    var scales: String?
    var flip: Bool
    var top1Accuracy: Double
    var top5Accuracy: Double
    var top1Error: Double
    var top5Error: Double
    var loss: Double
    var count: Int
    var classNames: [String]
    var perClassAccuracy: [Double]
    var confusion: [[Int]]

    enum CodingKeys: String, CodingKey {
        case checkpoint, data, modes, variants, scales, flip
        case top1Accuracy = "top1_accuracy", top5Accuracy = "top5_accuracy", top1Error = "top1_error", top5Error = "top5_error"
        case loss, count, classNames = "class_names", perClassAccuracy = "per_class_accuracy", confusion
    }
}
