import ArgumentParser
import Foundation

/// `--checkpoint`: the vgg checkpoint a command reads (`vgg eval`, `predict`, `features`,
/// `export`), declared once.
struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("vgg checkpoint file, e.g. runs/train/best.ckpt.", valueName: "file"))
    var checkpoint: String

    /// The checkpoint as a file URL.
    var url: URL { URL(fileURLWithPath: checkpoint) }
}
