import NN

/// Watches a training run. The `Trainer` tells its `observers`, in order and on the root
/// process only: once the run starts (or resumes); after every batch, before the checkpoint
/// that may follow it; after every epoch's validation, before that epoch's checkpoint. That
/// order is what makes a killed run resumable without gaps or repeats in what observers
/// write: a run killed after a checkpoint resumes past what was already told.
///
/// The progress line (`ProgressReporter`), `metrics.csv` (`MetricsFileWriter`), the pictures
/// (`ReportPicturesWriter`) and TensorBoard (`TensorBoardLogger`) are observers; a program
/// adds its own with `trainer.observers.append(…)`. Every requirement has a default that does
/// nothing. An error thrown by an observer ends the run (the last checkpoint stays as it is);
/// returning `.stop` after a batch ends it right there, without a checkpoint, as if the
/// process had been killed (tests use it to interrupt and resume runs; `StopToken` is the
/// way to stop with a checkpoint).
public protocol TrainingObserver: AnyObject {
    /// The run is about to train from `start.state` (step 0, or the checkpoint's position when resumed).
    func trainerStarted(_ start: TrainingStart) throws
    /// A batch was trained and `state` counts it: `epoch` is 0-based, `batch` the batches done
    /// in it (1-based, `state.batchInEpoch`), `state.optimizerSteps` the step just taken.
    func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) throws -> TrainingObserverDecision
    /// An epoch was validated: its row of `metrics.csv` (told before `trainerValidated`).
    func trainerFinishedEpoch(_ metrics: EpochMetrics) throws
    /// An epoch was validated and closed (`validation.state` is the state after it), before its checkpoint.
    func trainerValidated(_ validation: TrainingValidation) throws
}

extension TrainingObserver {
    public func trainerStarted(_ start: TrainingStart) throws {}
    public func trainerFinishedBatch(epoch: Int, batch: Int, state: TrainingState) throws -> TrainingObserverDecision { .proceed }
    public func trainerFinishedEpoch(_ metrics: EpochMetrics) throws {}
    public func trainerValidated(_ validation: TrainingValidation) throws {}
}
