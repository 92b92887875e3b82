import Foundation
import Support

/// What `vgg check-backend` prints from a checker's results: a table (check, shape, errors,
/// time on each backend, pass/FAIL), the failures in full, the summary line
/// `N checks, M failed`, and the same as JSON lines.
public struct BackendCheckReport {
    public var underTest: String
    public var other: String
    public var results: [BackendCheckResult]

    public init(underTest: String, other: String, results: [BackendCheckResult]) {
        self.underTest = underTest; self.other = other; self.results = results
    }

    public var failed: Int { results.filter { !$0.passed }.count }

    /// `N checks, M failed`.
    public var summaryLine: String { "\(results.count) checks, \(failed) failed" }

    /// Seconds the compared phases took on each backend, in all.
    public var totalSeconds: (underTest: Double, other: Double) {
        (results.reduce(0) { $0 + ($1.secondsUnderTest ?? 0) }, results.reduce(0) { $0 + ($1.secondsOther ?? 0) })
    }

    /// One row per check.
    public func table() -> TextTable {
        var t = TextTable(headers: ["check", "shape", "max rel err", "‖Δ‖/‖ref‖", "\(underTest) ms", "\(other) ms", "result"],
                          alignments: [.left, .left, .right, .right, .right, .right, .left])
        for r in results {
            let compared = r.error == nil && !r.outputs.isEmpty
            t.addRow([r.name, r.shape,
                      compared ? formatError(r.maxRelativeError) : "-", compared ? formatError(r.normRelativeError) : "-",
                      Self.milliseconds(r.secondsUnderTest), Self.milliseconds(r.secondsOther), r.passed ? "pass" : "FAIL"])
        }
        return t
    }

    /// `FAIL name (shape): problem` for every failing output or error.
    public func failureLines() -> [String] {
        results.filter { !$0.passed }.flatMap { r in r.problems.map { "FAIL \(r.name) (\(r.shape)): \($0)" } }
    }

    /// The `count` checks that took longest on either backend, slowest first.
    public func slowest(_ count: Int) -> [BackendCheckResult] {
        Array(results.sorted { max($0.secondsUnderTest ?? 0, $0.secondsOther ?? 0) > max($1.secondsUnderTest ?? 0, $1.secondsOther ?? 0) }
            .prefix(count))
    }

    /// One JSON object (one line) for a check, every output's comparison included.
    public static func jsonLine(_ r: BackendCheckResult) -> String {
        var object: [String: Any] = [
            "check": r.name, "shape": r.shape, "passed": r.passed,
            "max_rel_err": number(r.maxRelativeError), "norm_rel_err": number(r.normRelativeError),
            "outputs": r.outputs.map { o -> [String: Any] in
                var e: [String: Any] = ["name": o.name, "passed": o.passed, "max_rel_err": number(o.maxRelativeError),
                                        "norm_rel_err": number(o.normRelativeError), "mismatches": o.mismatches, "count": o.count]
                switch o.criterion {
                case let .close(tolerance, scale): e["criterion"] = "close"; e["tolerance"] = tolerance; if scale > 0 { e["scale"] = scale }
                case .identical: e["criterion"] = "identical"
                case .equal: e["criterion"] = "equal"
                }
                if let p = o.problem { e["problem"] = p }
                return e
            },
        ]
        if let s = r.secondsUnderTest { object["seconds_under_test"] = s }
        if let s = r.secondsOther { object["seconds_other"] = s }
        if let e = r.error { object["error"] = e }
        return json(object)
    }

    /// The summary as one JSON object (one line).
    public func jsonSummary(wallSeconds: Double) -> String {
        let (a, b) = totalSeconds
        return Self.json(["summary": summaryLine, "backend": underTest, "against": other, "checks": results.count, "failed": failed,
                          "seconds_under_test": a, "seconds_other": b, "wall_seconds": wallSeconds])
    }

    private static func milliseconds(_ seconds: Double?) -> String {
        seconds.map { formatFixed($0 * 1e3, decimals: 2) } ?? "-"
    }

    /// JSON has no NaN or infinity: those become strings.
    private static func number(_ value: Double) -> Any {
        value.isFinite ? value : (value.isNaN ? "nan" : "inf")
    }

    private static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
              let line = String(data: data, encoding: .utf8) else { return "{}" }
        return line
    }
}
