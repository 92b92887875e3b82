/// Measures elapsed time from its start; `reset` starts again.
public struct Stopwatch: Sendable {
    public private(set) var start: Double = Clock.now()
    public init() {}
    /// Seconds since the start.
    public var elapsed: Double { Clock.now() - start }
    public mutating func reset() { start = Clock.now() }
}
