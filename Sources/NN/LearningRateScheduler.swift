/// How the learning rate changes from epoch to epoch.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// Divide by `1/factor` (the paper: 10) when validation accuracy has not improved by more
    /// than `threshold` for `patience` epochs; at most `maxDrops` times (the paper: 3), after
    /// which the next plateau ends training.
    case plateau(patience: Int, factor: Float, maxDrops: Int, threshold: Float)
    /// Multiply by `gamma` every `every` epochs.
    case step(every: Int, gamma: Float)
    /// Cosine annealing from the base rate to `minimum` over `epochs` epochs.
    case cosine(epochs: Int, minimum: Float)
    /// Keep the base rate.
    case constant

    /// The paper's schedule with a given patience.
    public static func paper(patience: Int = 2) -> LearningRateSchedule {
        .plateau(patience: patience, factor: 0.1, maxDrops: 3, threshold: 1e-4)
    }
}

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

import Foundation
