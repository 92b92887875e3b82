import Foundation

/// Top-1/top-5 accuracy, loss, confusion matrix and per-class accuracy of a model on a data set.
public struct EvaluationResult: Codable, Sendable {
    public var count: Int
    public var loss: Double
    public var top1Accuracy: Double
    public var top5Accuracy: Double
    public var top1Error: Double { 1 - top1Accuracy }
    public var top5Error: Double { 1 - top5Accuracy }
    public var classNames: [String]
    /// confusion[true][predicted]
    public var confusion: [[Int]]
    public var perClassAccuracy: [Double] {
        confusion.enumerated().map { i, row in
            let n = row.reduce(0, +)
            return n == 0 ? .nan : Double(row[i]) / Double(n)
        }
    }
    /// The most confused (true, predicted, count) pairs, largest first.
    public func mostConfusedPairs(_ k: Int = 5) -> [(trueClass: Int, predicted: Int, count: Int)] {
        var pairs: [(Int, Int, Int)] = []
        for (i, row) in confusion.enumerated() { for (j, c) in row.enumerated() where i != j && c > 0 { pairs.append((i, j, c)) } }
        return pairs.sorted { $0.2 > $1.2 }.prefix(k).map { ($0.0, $0.1, $0.2) }
    }
}
