/// The JSON part of a checkpoint: how the model was built and trained, how its inputs are
/// preprocessed, its class names, and the training state to resume from.
public struct CheckpointHeader: Codable, Sendable {
    /// 2: safetensors container (1: the earlier `VGGSWIFT` format, still read).
    public var formatVersion: Int
    public var configuration: TrainingConfiguration
    public var preprocessing: Preprocessing
    public var classNames: [String]
    public var state: TrainingState

    public init(configuration: TrainingConfiguration, preprocessing: Preprocessing, classNames: [String], state: TrainingState) {
        formatVersion = Checkpoint.formatVersion
        self.configuration = configuration; self.preprocessing = preprocessing; self.classNames = classNames; self.state = state
    }
}
