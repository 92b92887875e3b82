/// Whether a run goes on after a batch.
public enum TrainingObserverDecision: Sendable {
    case proceed
    case stop
}
