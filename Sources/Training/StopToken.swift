import Foundation
import Support
import Synchronization

/// A request to stop a training run at its next safe point, handed to the `Trainer` as a
/// value: the run finishes the batch under way, saves a checkpoint to resume from and ends
/// with `TrainingError.interrupted`.
///
/// Anything may `request` a stop, from any thread. A token may also have a `source` that the
/// trainer polls at its safe points, and a `guarding` wrapper run around the part of the run
/// that can stop safely: `StopToken.signals` is the `vgg` tool's, fed by the process's
/// `StopSignals` (a first SIGINT or SIGTERM is then only recorded while the epochs run).
public final class StopToken: Sendable {
    private let requested = Atomic<Int32>(0)
    private let source: @Sendable () -> Int32?
    private let guardRegion: @Sendable (() throws -> Void) throws -> Void

    /// A token that only `request` sets.
    public convenience init() {
        self.init(source: { nil })
    }

    /// A token that also stops when `source` gives a signal number, with `guarding` run
    /// around the epochs of a run (the part that stops at safe points).
    public init(source: @escaping @Sendable () -> Int32?,
                guarding: @escaping @Sendable (() throws -> Void) throws -> Void = { try $0() }) {
        self.source = source
        guardRegion = guarding
    }

    /// The token of a program that has installed `StopSignals`: a first SIGINT or SIGTERM
    /// while the epochs run is a request to stop after the current batch.
    public static var signals: StopToken {
        StopToken(source: { StopSignals.received }, guarding: { try StopSignals.deferring($0) })
    }

    /// Asks the run to stop after the current batch; `signal` is what the error reports
    /// (`TrainingError.interrupted`) and what the `vgg` tool's exit status says (128 + it).
    public func request(signal: Int32 = SIGINT) {
        _ = requested.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
    }

    /// The signal number of the stop asked for, if any (the first `request`, else the source's).
    public var signal: Int32? {
        let s = requested.load(ordering: .relaxed)
        return s != 0 ? s : source()
    }

    /// Whether a stop was asked for.
    public var isRequested: Bool { signal != nil }

    /// Runs `body` as the part of a run that stops at safe points.
    func guarding(_ body: () throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in try guardRegion(body) }
    }
}
