/// `OUT/linear-probe.json` of `vgg linear-probe --json`: the inputs, the classifier's settings
/// and every number of the text report (a class with no test rows has per-class accuracy -1).
struct LinearProbeReport: Codable {
    var train: String
    var test: String
    var classifier: String
    var optimizer: String
    var weightDecay: Double
    var iterations: Int
    var objective: Double
    var standardized: Bool
    var dimension: Int
    var trainCount: Int
    var testCount: Int
    var trainTop1Accuracy: Double
    var top1Accuracy: Double
    var top1Error: Double
    /// The data set's labels of the probe's classes, in the probe's order.
    var classLabels: [Int]
    var classNames: [String]
    var perClassAccuracy: [Double]
    var confusion: [[Int]]

    enum CodingKeys: String, CodingKey {
        case train, test, classifier, optimizer, weightDecay = "weight_decay", iterations, objective, standardized, dimension
        case trainCount = "train_count", testCount = "test_count", trainTop1Accuracy = "train_top1_accuracy"
        case top1Accuracy = "top1_accuracy", top1Error = "top1_error", classLabels = "class_labels", classNames = "class_names"
        case perClassAccuracy = "per_class_accuracy", confusion
    }
}
