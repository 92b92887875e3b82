import Distributed
import Foundation

/// An option spelling that was renamed: the old one still parses (hidden from the help), and
/// using it prints one line on stderr that names the new one.
struct RenamedOption {
    var command: String
    var old: String
    var new: String

    /// The warning line.
    var warning: String { "vgg \(command): \(old) is now \(new) (\(old) still works for now)" }

    /// Prints `warning` on stderr, once per job (rank 0 only under mpirun).
    func warn() {
        guard (MPIEnvironment.launch()?.rank ?? 0) == 0 else { return }
        FileHandle.standardError.write(Data((warning + "\n").utf8))
    }
}
