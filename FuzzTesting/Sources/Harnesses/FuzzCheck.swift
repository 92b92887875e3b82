import Data
import Tensors
import Training
import SafeTensorsFormat
import PyTorchFormat

/// The contract every reader must keep for arbitrary input, checked by the harnesses:
/// a bad file is an error of the reader's own type that names the file, nothing else.
enum FuzzCheck {
    /// Fails (a finding) unless `error` is one of the toolkit's file errors naming a file
    /// under `path` (a file or a directory).
    static func namesFile(_ error: Error, _ path: String) {
        let named: String
        switch error {
        case let e as DataError:
            guard let p = e.path else { fatalError("DataError without a file: \(e)") }
            named = p
        case let e as SafeTensorsError: named = e.path
        case let e as CheckpointError: named = e.path
        case let e as PyTorchFileError: named = e.path
        default: fatalError("unexpected error type \(type(of: error)): \(error)")
        }
        guard named.hasPrefix(path) else { fatalError("error names \(named), not \(path): \(error)") }
        guard !"\(error)".isEmpty else { fatalError("empty error message") }
    }

    /// Fails (a finding) with `message` unless `condition` holds.
    static func expect(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("invariant broken: \(message())") }
    }
}
