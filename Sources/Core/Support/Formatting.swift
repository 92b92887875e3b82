/// Number formatting for labels, without Foundation.
///
/// `formatFixed(3.14159, decimals: 2) == "3.14"`; rounds half away from zero; NaN and
/// infinities print as "nan", "inf", "-inf".
public func formatFixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    let d = max(0, min(decimals, 12))
    var scale = 1.0
    for _ in 0..<d { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    if scaled >= 9e18 { return String(value) }
    let negative = value < 0 && scaled != 0
    let n = UInt64(scaled)
    let p = UInt64(scale)
    var s = String(n / p)
    if d > 0 {
        let frac = String(n % p)
        s += "." + String(repeating: "0", count: d - frac.count) + frac
    }
    return negative ? "-" + s : s
}

/// "93.12%"-style formatting of a fraction.
public func formatPercent(_ fraction: Double, decimals: Int) -> String {
    formatFixed(fraction * 100, decimals: decimals) + "%"
}

/// The number of decimals needed to print multiples of `step` exactly (0...8).
public func decimalsFor(step: Double) -> Int {
    guard step.isFinite, step > 0 else { return 0 }
    var scaled = step
    for d in 0...8 {
        if abs(scaled - scaled.rounded()) < 1e-6 * max(1, abs(scaled)) { return d }
        scaled *= 10
    }
    return 8
}

/// `1234567` → `1,234,567`.
public func groupedDigits(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
    return (n < 0 ? "-" : "") + String(out.reversed())
}

/// `75.4` → `1:15`, `3725` → `1:02:05`; "?" for an infinite or NaN time.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let t = Int(seconds)
    let (h, m, s) = (t / 3600, (t / 60) % 60, t % 60)
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
    return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
}
