import Foundation

/// Every event of a directory's event files, read in TensorBoard's order (file by file, by
/// name), with the scalars, images and texts they hold by tag.
public struct EventDirectory {
    /// The events, file after file.
    public let events: [Tensorboard_Event]
    /// The files read.
    public let files: [URL]

    /// Reads the event files of `directory` (none: no events).
    public init(contentsOf directory: URL) throws {
        files = EventFileName.files(in: directory)
        events = try files.flatMap { try EventFile(contentsOf: $0).events }
    }

    /// For each tag, the last step logged: what a writer continuing the run skips.
    public var lastSteps: [String: Int64] { EventFile.lastSteps(of: events) }
}
