import Foundation

/// One output of one check compared between the backend under test and the other backend.
///
/// An output holding NaN on either side fails whatever the criterion: outputs are filled
/// with NaN before each op, so an element an op forgot to write shows up here.
public struct OutputComparison: Sendable, Equatable {
    /// The output's name within its check (`y`, `dx`, `running mean`, …).
    public var name: String
    /// `max|a − b| / max(max|ref|, scale)` (the absolute error when that is 0); NaN when either
    /// side holds NaN.
    public var maxRelativeError: Double
    /// `‖a − b‖₂ / ‖ref‖₂`, with `‖ref‖₂` at least `scale·√count` (the absolute norm when that
    /// is 0); NaN when either side holds NaN.
    public var normRelativeError: Double
    /// Elements that fail the criterion.
    public var mismatches: Int
    public var count: Int
    public var criterion: OutputCriterion
    public var passed: Bool
    /// Why it failed (the worst element), or nil.
    public var problem: String?

    public init(name: String, maxRelativeError: Double, normRelativeError: Double, mismatches: Int, count: Int,
                criterion: OutputCriterion, passed: Bool, problem: String?) {
        self.name = name; self.maxRelativeError = maxRelativeError; self.normRelativeError = normRelativeError
        self.mismatches = mismatches; self.count = count; self.criterion = criterion; self.passed = passed; self.problem = problem
    }

    /// Compares `actual` (the backend under test) with `expected` (the other backend).
    public static func compare(_ name: String, actual: [Float], expected: [Float], criterion: OutputCriterion) -> OutputComparison {
        guard actual.count == expected.count else {
            return OutputComparison(name: name, maxRelativeError: .nan, normRelativeError: .nan, mismatches: max(actual.count, expected.count),
                                    count: expected.count, criterion: criterion, passed: false,
                                    problem: "\(actual.count) values against \(expected.count)")
        }
        if let i = expected.firstIndex(where: \.isNaN) {
            return OutputComparison(name: name, maxRelativeError: .nan, normRelativeError: .nan, mismatches: 1, count: expected.count,
                                    criterion: criterion, passed: false, problem: "the other backend's output has NaN at \(i) (left unwritten?)")
        }
        var largest = 0.0, worst = 0.0, worstIndex = 0, differenceSquares = 0.0, referenceSquares = 0.0
        var firstNaN: Int?
        for i in expected.indices {
            let a = Double(actual[i]), e = Double(expected[i])
            largest = max(largest, abs(e))
            referenceSquares += e * e
            if a.isNaN {
                if firstNaN == nil { firstNaN = i }
                continue
            }
            let d = abs(a - e)
            differenceSquares += d * d
            if d > worst { worst = d; worstIndex = i }
        }
        var floor = 0.0, tolerance = 0.0
        if case let .close(t, f) = criterion { floor = f; tolerance = t }
        let scale = max(largest, floor)
        let maxRelative = firstNaN != nil ? .nan : (scale > 0 ? worst / scale : worst)
        // The scale's floor applies to the norm too, as the norm of a vector of that size.
        let normScale = max(referenceSquares.squareRoot(), floor * Double(expected.count).squareRoot())
        let normRelative = firstNaN != nil ? .nan
            : (normScale > 0 ? differenceSquares.squareRoot() / normScale : differenceSquares.squareRoot())

        var mismatches = 0
        switch criterion {
        case .close:
            let bound = tolerance * scale
            for i in expected.indices where !(abs(Double(actual[i]) - Double(expected[i])) <= bound) { mismatches += 1 }
        case .identical:
            for i in expected.indices where actual[i].bitPattern != expected[i].bitPattern { mismatches += 1 }
        case .equal:
            for i in expected.indices where !(actual[i] == expected[i]) { mismatches += 1 }
        }
        var problem: String?
        if let i = firstNaN {
            problem = "NaN at \(i) (an element left unwritten?) against \(expected[i]); \(mismatches) of \(expected.count) elements differ"
        } else if mismatches > 0 {
            let i: Int, what: String
            switch criterion {
            case let .close(t, _):
                i = worstIndex
                what = "max rel err \(formatError(maxRelative)) > \(formatError(t))"
            case .identical:
                i = expected.indices.first { actual[$0].bitPattern != expected[$0].bitPattern } ?? worstIndex
                what = "not bit-identical"
            case .equal:
                i = expected.indices.first { !(actual[$0] == expected[$0]) } ?? worstIndex
                what = "not equal"
            }
            problem = "\(what): \(mismatches) of \(expected.count) elements; at \(i): \(actual[i]) against \(expected[i])"
        }
        return OutputComparison(name: name, maxRelativeError: maxRelative, normRelativeError: normRelative, mismatches: mismatches,
                                count: expected.count, criterion: criterion, passed: mismatches == 0 && firstNaN == nil, problem: problem)
    }
}

/// `3.1e-07`-style formatting of an error; "nan" and "inf" as such.
func formatError(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
    return value == 0 ? "0" : String(format: "%.1e", value)
}
