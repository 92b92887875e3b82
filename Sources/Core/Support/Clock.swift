import Foundation

/// The one clock of the toolkit: monotonic seconds, for durations and rates (never the
/// time of day, which can jump).
public enum Clock {
    /// Seconds since an arbitrary fixed point (CLOCK_MONOTONIC).
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

