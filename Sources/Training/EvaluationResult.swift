import Foundation
import Tensors

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

    /// The result over the union of every process's part of a data set: counts, loss and
    /// confusion matrix summed exactly over the processes.
    public func merged(across communicator: any Communicator) throws -> EvaluationResult {
        guard communicator.size > 1 else { return self }
        let n = Double(count)
        let local = [n, loss * n, (top1Accuracy * n).rounded(), (top5Accuracy * n).rounded()] + confusion.flatMap { $0.map(Double.init) }
        let sums = try communicator.allReduceSum(local, label: "evaluation counts")
        let total = Int(sums[0].rounded()), k = confusion.count
        let matrix = (0..<k).map { i in (0..<k).map { j in Int(sums[4 + i * k + j].rounded()) } }
        let d = Double(max(total, 1))
        return EvaluationResult(count: total, loss: sums[1] / d, top1Accuracy: sums[2] / d, top5Accuracy: sums[3] / d,
                                classNames: classNames, confusion: matrix)
    }
}
