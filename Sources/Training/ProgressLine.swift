import Foundation
import Support

/// A progress line: rewritten in place on a terminal, printed every 15 seconds otherwise
/// (and under mpirun, whose ranks write to a pseudo-terminal that is not the user's).
final class ProgressLine {
    private let isTerminal: Bool

    init(interactive: Bool = true) { isTerminal = interactive && isatty(1) != 0 }
    private var lastPrint = -Double.infinity
    private var pending = false

    func update(_ text: String) {
        if isTerminal {
            print("\r\u{1B}[K" + text, terminator: "")
            fflush(stdout)
            pending = true
        } else if Clock.now() - lastPrint >= 15 {
            print(text)
            fflush(stdout)
            lastPrint = Clock.now()
        }
    }

    func finish() {
        if isTerminal && pending { print(""); pending = false }
    }
}
