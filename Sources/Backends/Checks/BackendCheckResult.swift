/// One row of `vgg check-backend`: one phase of one op (`convolution.backward`) on one shape,
/// every output of it compared, with the time the phase took on each backend.
public struct BackendCheckResult: Sendable {
    /// `family.phase`, e.g. `convolution.backward`, `batchnorm.training`, `network.step2`.
    public var name: String
    /// The shape and settings of the case, e.g. `3×16×17×17 → 64, 3×3/1 pad 1, dx`.
    public var shape: String
    public var outputs: [OutputComparison]
    /// Seconds the phase's ops took on the backend under test and on the other backend (nil
    /// when the phase did not run there).
    public var secondsUnderTest: Double?
    public var secondsOther: Double?
    /// The error a backend threw (naming which), when the phase could not be run and compared.
    public var error: String?

    public init(name: String, shape: String, outputs: [OutputComparison], secondsUnderTest: Double?, secondsOther: Double?,
                error: String? = nil) {
        self.name = name; self.shape = shape; self.outputs = outputs
        self.secondsUnderTest = secondsUnderTest; self.secondsOther = secondsOther; self.error = error
    }

    /// No error, at least one output, and every output within its criterion.
    public var passed: Bool { error == nil && !outputs.isEmpty && outputs.allSatisfy(\.passed) }

    /// The largest `maxRelativeError` of the outputs (NaN when any is NaN or none was compared).
    public var maxRelativeError: Double { Self.worst(outputs.map(\.maxRelativeError)) }

    /// The largest `normRelativeError` of the outputs (NaN when any is NaN or none was compared).
    public var normRelativeError: Double { Self.worst(outputs.map(\.normRelativeError)) }

    /// Why the check failed: the error, or each failing output's problem; nil when it passed.
    public var problems: [String] {
        if let error { return [error] }
        if outputs.isEmpty { return ["nothing was compared"] }
        return outputs.filter { !$0.passed }.map { "\($0.name): \($0.problem ?? "failed")" }
    }

    private static func worst(_ values: [Double]) -> Double {
        guard !values.isEmpty, !values.contains(where: \.isNaN) else { return .nan }
        return values.max()!
    }
}
