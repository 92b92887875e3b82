import BackendChecks
import CPUBackend
import Foundation
import ReferenceBackend
import Tensors
import XCTest

/// `vgg check-backend --backend cpu --precision bf16`'s quick checks: the `cpu` backend in bf16
/// against the `reference` backend in bf16, the oracle of docs/precision.md.
///
/// The op outputs are compared at the float32 tolerance, 1e-4 of the largest reference
/// magnitude. A rounded output either is the oracle's bf16 value or lies one bf16 step (2⁻⁸
/// of it, past 1e-4) away, where oneDNN's float32 sums, in another order than the reference's
/// double ones, land on the other side of a rounding boundary. So an output passes when it is
/// within 1e-4, or when it is within one bf16 step (1e-2) and at most 1 % of its elements (at
/// least 1) are past 1e-4. A rounding point skipped (an output or input gradient not rounded,
/// an input or weight read unrounded) moves most elements of an output, far more than 1 %.
/// End to end the steps, weights and momenta are compared at 0.5, as for the cuda backend
/// (docs/precision.md: one bf16 step in an activation gradient is amplified by the batch-of-4
/// BatchNorm backward of that network).
final class CPUBFloat16CheckTests: XCTestCase {
    private func check(_ cpu: CPUBackend, only: String? = nil) -> BackendChecker {
        let checker = BackendChecker(testing: cpu, against: ReferenceBackend(threads: 2, precision: .bf16),
                                     options: BackendCheckOptions(tolerance: 1e-4, networkTolerance: 0.5, quick: true, only: only))
        checker.runAll()
        return checker
    }

    /// The outputs that fail the rule above, as "check: output: problem" lines.
    private func failures(_ results: [BackendCheckResult]) -> [String] {
        var lines: [String] = []
        for r in results {
            if let error = r.error { lines.append("\(r.name) \(r.shape): \(error)"); continue }
            for o in r.outputs where !o.passed {
                let withinOneStep = o.maxRelativeError <= 1e-2 && !r.name.hasPrefix("network")
                if withinOneStep && o.mismatches <= max(1, o.count / 100) { continue }
                lines.append("\(r.name) \(r.shape): \(o.name): \(o.problem ?? "failed")")
            }
        }
        return lines
    }

    func testCPUInBFloat16PassesEveryQuickCheckAgainstTheReferenceInBFloat16() throws {
        let cpu = try CPUBackend(configuration: CPUBackendConfiguration(threads: 2, precision: .bf16))
        XCTAssertTrue(cpu.settingsSummary.contains("precision bf16"), cpu.settingsSummary)
        let checker = check(cpu)
        XCTAssertGreaterThan(checker.results.count, 80)
        let outputs = checker.results.filter { !$0.name.hasPrefix("network") }.flatMap(\.outputs)
        let exact = outputs.filter { $0.maxRelativeError == 0 }.count
        let offByOneStep = outputs.filter { !$0.passed }.map(\.name)
        print("cpu bf16 against reference bf16: \(checker.results.count) checks; \(outputs.count) op outputs, \(exact) bit for bit, "
              + "\(offByOneStep.count) with elements one bf16 step away (\(offByOneStep.joined(separator: ", ")))")
        let failed = failures(checker.results)
        XCTAssertEqual(failed, [], failed.joined(separator: "\n"))
        // Step 1's logits and loss come out of the same rounding points.
        for output in checker.results.filter({ $0.name == "network.step1" }).flatMap(\.outputs) {
            XCTAssertLessThanOrEqual(output.maxRelativeError, 1e-2, "network.step1 \(output.name)")
        }
    }

    /// The rule sees the rounding points: the cpu backend in fp32 (nothing rounded) fails
    /// the forward checks against the bf16 oracle.
    func testTheBFloat16ChecksFailFloat32Arithmetic() throws {
        let cpu = try CPUBackend(configuration: CPUBackendConfiguration(threads: 2, precision: .fp32))
        let failed = Set(failures(check(cpu, only: "forward").results).map { String($0.prefix { $0 != " " }) })
        for name in ["convolution.forward", "linear.forward", "dropout.forward", "lrn.forward", "avgpool.forward", "softmax.forward",
                     "cross-entropy.forward"] {
            XCTAssertTrue(failed.contains(name), "\(name) passed against the bf16 oracle in fp32 (failed: \(failed.sorted()))")
        }
    }
}
