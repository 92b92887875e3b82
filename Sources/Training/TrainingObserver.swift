/// Watches a training run: told after every batch (once its checkpoint, if one was due, is
/// written) and after every epoch. Returning `.stop` ends the run right there, as if the
/// process had been killed (tests use it to interrupt and resume runs).
public protocol TrainingObserver: AnyObject {
    func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision
    func trainerFinishedEpoch(_ metrics: EpochMetrics)
}

extension TrainingObserver {
    public func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision { .proceed }
    public func trainerFinishedEpoch(_ metrics: EpochMetrics) {}
}

