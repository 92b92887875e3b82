import NN

/// Watches a training run: told once it starts (or resumes), after every batch (once its
/// checkpoint, if one was due, is written), after every epoch and after every validation.
/// Returning `.stop` ends the run right there, as if the process had been killed (tests use
/// it to interrupt and resume runs).
public protocol TrainingObserver: AnyObject {
    /// The run is about to train from `state` (step 0, or the checkpoint's position when resumed).
    func trainerStarted(_ configuration: TrainingConfiguration, preprocessing: Preprocessing, classNames: [String], state: TrainingState)
    func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision
    func trainerFinishedEpoch(_ metrics: EpochMetrics)
    /// An epoch was validated and saved, its reports written (told after `trainerFinishedEpoch`).
    func trainerValidated(_ validation: TrainingValidation)
}

extension TrainingObserver {
    public func trainerStarted(_ configuration: TrainingConfiguration, preprocessing: Preprocessing, classNames: [String], state: TrainingState) {}
    public func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) -> TrainingObserverDecision { .proceed }
    public func trainerFinishedEpoch(_ metrics: EpochMetrics) {}
    public func trainerValidated(_ validation: TrainingValidation) {}
}
