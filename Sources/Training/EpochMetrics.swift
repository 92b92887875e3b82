import Foundation

/// One row of `metrics.csv`.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationTop1: Double
    public var validationTop5: Double
    public var imagesPerSecond: Double
    public var seconds: Double

    public static let csvHeader = "epoch,lr,train_loss,train_acc,val_loss,val_top1,val_top5,images_per_s,seconds"
    public var csvRow: String {
        func f(_ x: Double) -> String { String(format: "%.6f", x) }
        return "\(epoch),\(learningRate),\(f(trainLoss)),\(f(trainAccuracy)),\(f(validationLoss)),\(f(validationTop1)),\(f(validationTop5)),\(String(format: "%.1f", imagesPerSecond)),\(String(format: "%.1f", seconds))"
    }
}

import Foundation
