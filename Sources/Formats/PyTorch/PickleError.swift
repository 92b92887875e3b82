import SafeTensorsFormat
/// Why `RestrictedUnpickler` stopped. Byte offsets are into the pickle.
public enum PickleError: Error, CustomStringConvertible, Equatable {
    /// A global outside the allow-list (e.g. `os.system`): refused before anything is built.
    case refusedGlobal(String, at: Int)
    /// An operation the reader does not perform (REDUCE of a non-callable, BUILD, ...).
    case refused(String)
    /// An opcode the reader does not know or will not run (its name when known).
    case unsupportedOpcode(Int, name: String?, at: Int)
    /// The pickle ends in the middle of an opcode or before STOP.
    case truncated(at: Int)
    /// Anything else that is not a well-formed pickle.
    case malformed(String, at: Int)

    public var description: String {
        switch self {
        case .refusedGlobal(let g, let at):
            return "refuses the global \(g) (at byte \(at)): only the globals a state_dict needs are allowed, and nothing is executed"
        case .refused(let what):
            return "refuses \(what): nothing is executed"
        case .unsupportedOpcode(let op, let name, let at):
            let hex = String(op, radix: 16, uppercase: true)
            return "opcode 0x\(hex.count < 2 ? "0" + hex : hex)\(name.map { " (\($0))" } ?? "") at byte \(at) is not supported"
        case .truncated(let at):
            return "the pickle ends early (at byte \(at)): truncated"
        case .malformed(let problem, let at):
            return "malformed pickle at byte \(at): \(problem)"
        }
    }
}
