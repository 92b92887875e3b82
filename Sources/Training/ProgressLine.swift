import Foundation
import Support

/// A progress line: rewritten in place on a terminal, printed every 15 seconds otherwise.
final class ProgressLine {
    private let isTerminal = isatty(1) != 0
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
