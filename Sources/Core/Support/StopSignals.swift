import Foundation
import Synchronization

/// SIGINT and SIGTERM as a request to stop at the next safe point, for long work that can
/// save itself (`vgg train` finishes its batch, writes a checkpoint and exits).
///
/// Once `install`ed, a signal that arrives outside `deferring` ends the process at once:
/// there is nothing to save yet. Inside `deferring`, the first signal is only recorded
/// (`received`) and `notice` goes to standard error; the work polls `received` at its safe
/// points. A second signal ends the process at once, wherever it is: files written through
/// `AtomicFileWriter` (checkpoints) are then left as they were, never half replaced.
/// The process exits with status 128 + the signal's number, as a shell reports a process
/// killed by it: 130 for SIGINT, 143 for SIGTERM.
///
/// Signals belong to the whole process, so this is process-wide state. The handler only
/// touches atomics and calls `write` and `_exit` (async-signal-safe).
public enum StopSignals {
    /// The signals handled.
    public static let handled: [Int32] = [SIGINT, SIGTERM]

    /// Handles SIGINT and SIGTERM from now on; `notice` is printed when a first signal is deferred.
    public static func install(notice: String) {
        _ = firstSignal.load(ordering: .relaxed)
        _ = deferringDepth.load(ordering: .relaxed)
        let previous = noticeText
        noticeText = strdup(notice)
        noticeLength = strlen(noticeText!)
        free(previous)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for s in handled { sigaction(s, &action, nil) }
    }

    /// Back to the signals' default actions, forgetting a signal received.
    public static func uninstall() {
        for s in handled { signal(s, SIG_DFL) }
        reset()
    }

    /// Forgets a signal received (for a program that goes on after handling it).
    public static func reset() { firstSignal.store(0, ordering: .relaxed) }

    /// The first signal received while deferring, if any.
    public static var received: Int32? {
        let s = firstSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Runs `body` with a first signal deferred: recorded, for `body` to notice at a safe point.
    public static func deferring<T>(_ body: () throws -> T) rethrows -> T {
        deferringDepth.add(1, ordering: .relaxed)
        defer { deferringDepth.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// The usual name of a signal (`SIGINT`), for messages.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }

    /// The exit status of a process stopped by `signal`: 128 + its number.
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}

/// The first signal received while deferring (0: none).
private let firstSignal = Atomic<Int32>(0)
/// How many `deferring` calls are under way.
private let deferringDepth = Atomic<Int>(0)
nonisolated(unsafe) private var noticeText: UnsafeMutablePointer<CChar>?
nonisolated(unsafe) private var noticeLength = 0

private let handler: @convention(c) (Int32) -> Void = { signal in
    if deferringDepth.load(ordering: .relaxed) > 0,
       firstSignal.compareExchange(expected: 0, desired: signal, ordering: .relaxed).exchanged {
        if let noticeText { _ = write(2, noticeText, noticeLength) }
        return
    }
    _exit(StopSignals.exitStatus(for: signal))
}
