import Foundation

/// Applies a `LearningRateSchedule`; its whole state is `Codable` for checkpoints.
public struct LearningRateScheduler: Codable, Equatable, Sendable {
    public let schedule: LearningRateSchedule
    public let baseLearningRate: Float
    public private(set) var learningRate: Float
    public private(set) var epochsSeen: Int = 0
    public private(set) var bestMetric: Float = -.infinity
    public private(set) var epochsWithoutImprovement: Int = 0
    public private(set) var drops: Int = 0
    /// True once a plateau schedule has used all its drops and plateaued again.
    public private(set) var isFinished = false

    public init(_ schedule: LearningRateSchedule, baseLearningRate: Float) {
        self.schedule = schedule
        self.baseLearningRate = baseLearningRate
        learningRate = baseLearningRate
    }

    /// Records the end of an epoch with its validation accuracy; returns the rate for the next epoch.
    @discardableResult
    public mutating func epochEnded(validationAccuracy metric: Float) -> Float {
        epochsSeen += 1
        switch schedule {
        case .constant:
            break
        case let .step(every, gamma):
            learningRate = baseLearningRate * pow(gamma, Float(epochsSeen / max(every, 1)))
        case let .cosine(epochs, minimum):
            let t = min(Float(epochsSeen) / Float(max(epochs, 1)), 1)
            learningRate = minimum + (baseLearningRate - minimum) * 0.5 * (1 + cosf(Float.pi * t))
        case let .plateau(patience, factor, maxDrops, threshold):
            if metric > bestMetric + threshold {
                bestMetric = metric
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
                if epochsWithoutImprovement >= patience {
                    if drops < maxDrops {
                        learningRate *= factor
                        drops += 1
                        epochsWithoutImprovement = 0
                    } else {
                        isFinished = true
                    }
                }
            }
        }
        return learningRate
    }
}
