import Foundation

/// A file that cannot be written or put in place, naming it; the previous file (if any)
/// is unchanged.
public struct AtomicFileError: Error, CustomStringConvertible {
    public let path: String
    /// What went wrong, e.g. `No space left on device`.
    public let reason: String
    public var description: String { "\(path): not saved (\(reason)); the previous file is unchanged" }
}
