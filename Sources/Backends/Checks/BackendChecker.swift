import Support
import Tensors

/// Checks one backend against another, op by op, forward and backward, on seeded random
/// data: every output of every op (and an end-to-end training run of a small VGG) is
/// computed on both and compared (`OutputComparison`). This is what `vgg check-backend`
/// runs, and how a backend is verified on a machine where the test suite cannot run.
///
/// Each check fills its outputs with NaN on both backends before the op (except in-place
/// ops), so an element an op does not write fails. An op that throws on either backend
/// fails the checks it belongs to and the others go on.
public final class BackendChecker {
    public let underTest: any Backend
    /// The backend the results are compared with (normally `reference`).
    public let other: any Backend
    public let options: BackendCheckOptions
    public private(set) var results: [BackendCheckResult] = []
    /// Told each result as soon as it is known (streamed output).
    public var onResult: ((BackendCheckResult) -> Void)?

    public init(testing underTest: any Backend, against other: any Backend, options: BackendCheckOptions = BackendCheckOptions()) {
        self.underTest = underTest; self.other = other; self.options = options
    }

    /// Runs every check `options` selects, in order; the results are in `results`.
    public func runAll() {
        checkMemory()
        checkConvolutions()
        checkMaxPooling()
        checkAdaptiveAveragePooling()
        checkLocalResponseNorm()
        checkBatchNorm()
        checkLinear()
        checkReLU()
        checkDropout()
        checkPermute()
        checkSoftmax()
        checkSoftmaxCrossEntropy()
        checkSGD()
        checkAdd()
        checkNetwork()
    }

    public var failures: [BackendCheckResult] { results.filter { !$0.passed } }

    /// Runs one case on both backends and compares it, phase by phase.
    ///
    /// `prepare` draws the case's host inputs from its own seeded stream and returns the body
    /// that runs the case on one backend (called with the backend under test, then with the
    /// other). Only the phases `options` selects are reported; the case is skipped when none is.
    func check(_ family: String, _ shape: String, phases: [String],
               _ prepare: (inout CheckData) throws -> (CheckRun) throws -> Void) {
        let selected = phases.filter { options.selects("\(family).\($0)") }
        guard !selected.isEmpty else { return }
        var data = CheckData(seed: options.seed, label: "\(family) \(shape)")
        let runs = [underTest, other].map { CheckRun(backend: $0, tolerance: options.tolerance, networkTolerance: options.networkTolerance) }
        var errors: [String?] = [nil, nil]
        do {
            let body = try prepare(&data)
            for (k, run) in runs.enumerated() {
                do { try body(run) } catch { errors[k] = "\(run.backend.name): \(error)" }
                // Nothing of the backend under test to compare: the other need not run.
                if k == 0, errors[0] != nil, run.phases.isEmpty { break }
            }
        } catch {
            errors = ["preparing the data: \(error)", nil]
        }
        for phase in selected {
            let name = "\(family).\(phase)"
            let (test, reference) = (runs[0].phase(named: phase), runs[1].phase(named: phase))
            guard let test, let reference, !(errors[0] != nil && test.outputs.isEmpty) else {
                report(BackendCheckResult(name: name, shape: shape, outputs: [], secondsUnderTest: test?.seconds, secondsOther: reference?.seconds,
                                          error: errors.compactMap { $0 }.first ?? "phase \(phase) did not run"))
                continue
            }
            var comparisons: [OutputComparison] = []
            for output in reference.outputs {
                guard let mine = test.outputs.first(where: { $0.name == output.name }) else {
                    comparisons.append(OutputComparison(name: output.name, maxRelativeError: .nan, normRelativeError: .nan, mismatches: output.values.count,
                                                        count: output.values.count, criterion: output.criterion, passed: false,
                                                        problem: errors[0] ?? "not produced by \(underTest.name)"))
                    continue
                }
                comparisons.append(OutputComparison.compare(output.name, actual: mine.values, expected: output.values, criterion: output.criterion))
            }
            report(BackendCheckResult(name: name, shape: shape, outputs: comparisons, secondsUnderTest: test.seconds,
                                      secondsOther: reference.seconds, error: comparisons.isEmpty ? errors.compactMap { $0 }.first : nil))
        }
    }

    private func report(_ result: BackendCheckResult) {
        results.append(result)
        onResult?(result)
    }
}
