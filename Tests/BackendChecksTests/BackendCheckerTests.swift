import BackendChecks
import CPUBackend
import Foundation
import ReferenceBackend
import Tensors
import XCTest

/// `vgg check-backend`'s checks: the `cpu` backend passes them all against the reference
/// (quick mode); planted faults are found, named, and do not stop the other checks; `only`
/// selects by name; the comparison and the report behave as documented.
final class BackendCheckerTests: XCTestCase {
    func testCPUPassesEveryQuickCheckAgainstTheReference() throws {
        let cpu = try CPUBackend(configuration: try CPUBackendConfiguration.fromEnvironment())
        let checker = BackendChecker(testing: cpu, against: ReferenceBackend(threads: 2), options: BackendCheckOptions(quick: true))
        checker.runAll()
        let report = BackendCheckReport(underTest: "cpu", other: "reference", results: checker.results)
        XCTAssertGreaterThan(checker.results.count, 50)
        XCTAssertEqual(report.failed, 0, report.failureLines().joined(separator: "\n"))
        // Every op family is there, forward and backward, and the end-to-end run.
        let names = Set(checker.results.map(\.name))
        for name in ["memory.copy", "memory.views", "convolution.forward", "convolution.backward", "maxpool.backward", "avgpool.backward",
                     "lrn.backward", "batchnorm.training", "batchnorm.backward", "batchnorm.inference", "batchnorm-sync.training",
                     "batchnorm-sync.backward", "linear.backward", "relu.backward", "dropout.forward", "dropout.backward", "permute.forward",
                     "softmax.forward", "cross-entropy.forward", "cross-entropy.backward", "sgd.first-step", "sgd.later-steps",
                     "network.step1", "network.step3", "network.weights"] {
            XCTAssertTrue(names.contains(name), "no \(name) check")
        }
        XCTAssertEqual(report.summaryLine, "\(checker.results.count) checks, 0 failed")
    }

    func testPlantedFaultsAreFoundAndTheOtherChecksGoOn() {
        let checker = BackendChecker(testing: FaultyBackend(), against: ReferenceBackend(threads: 2),
                                     options: BackendCheckOptions(quick: true, only: nil))
        var streamed = 0
        checker.onResult = { _ in streamed += 1 }
        checker.runAll()
        XCTAssertEqual(streamed, checker.results.count)
        let linear = checker.results.filter { $0.name.hasPrefix("linear.") }
        XCTAssertFalse(linear.isEmpty)
        for r in linear {
            XCTAssertFalse(r.passed, "\(r.name) \(r.shape)")
            XCTAssertTrue(r.error?.contains("planted fault") == true, "\(r.name): \(r.error ?? "no error")")
        }
        // The memory check's linear layer on views fails too; the ReLU in it was not reached.
        XCTAssertFalse(checker.results.first { $0.name == "memory.views" }!.passed)
        let softmax = checker.results.filter { $0.name == "softmax.forward" }
        XCTAssertFalse(softmax.isEmpty)
        for r in softmax {
            XCTAssertFalse(r.passed)
            XCTAssertTrue(r.problems.joined().contains("NaN"), r.problems.joined())
        }
        // The end-to-end network needs linear layers: it fails with the error, every phase of it.
        let network = checker.results.filter { $0.name.hasPrefix("network.") }
        XCTAssertEqual(network.count, 4)
        XCTAssertTrue(network.allSatisfy { !$0.passed && $0.error?.contains("planted fault") == true })
        // Everything else passed.
        let others = checker.results.filter { !$0.name.hasPrefix("linear.") && !$0.name.hasPrefix("network.")
            && $0.name != "softmax.forward" && $0.name != "memory.views" }
        XCTAssertGreaterThan(others.count, 40)
        for r in others { XCTAssertTrue(r.passed, "\(r.name) \(r.shape): \(r.problems)") }
        let report = BackendCheckReport(underTest: "faulty", other: "reference", results: checker.results)
        XCTAssertEqual(report.failed, linear.count + softmax.count + network.count + 1)
        XCTAssertTrue(report.failureLines().contains { $0.hasPrefix("FAIL linear.forward") && $0.contains("planted fault") })
    }

    func testOnlySelectsChecksByName() throws {
        let cpu = try CPUBackend(configuration: try CPUBackendConfiguration.fromEnvironment())
        let checker = BackendChecker(testing: cpu, against: ReferenceBackend(threads: 2),
                                     options: BackendCheckOptions(quick: true, only: "MaxPool.Back"))
        checker.runAll()
        XCTAssertFalse(checker.results.isEmpty)
        XCTAssertTrue(checker.results.allSatisfy { $0.name == "maxpool.backward" && $0.passed })
    }

    func testSeedsSelectTheData() {
        func first(_ seed: UInt64, _ label: String) -> [Float] {
            var data = CheckData(seed: seed, label: label)
            return data.gaussian(4)
        }
        XCTAssertEqual(first(1, "a"), first(1, "a"))
        XCTAssertNotEqual(first(1, "a"), first(2, "a"))
        XCTAssertNotEqual(first(1, "a"), first(1, "b"))
    }

    func testComparisons() {
        let close = OutputCriterion.close(tolerance: 1e-4, scale: 0)
        XCTAssertTrue(OutputComparison.compare("a", actual: [1, 2, -4], expected: [1, 2, -4.0002], criterion: close).passed)
        let far = OutputComparison.compare("a", actual: [1, 2, -4], expected: [1, 2.01, -4], criterion: close)
        XCTAssertFalse(far.passed)
        XCTAssertEqual(far.maxRelativeError, 0.01 / 4, accuracy: 1e-6)
        XCTAssertEqual(far.mismatches, 1)
        // An unwritten (NaN) element fails whatever the criterion, on either side.
        for criterion in [close, .identical, .equal] {
            XCTAssertFalse(OutputComparison.compare("a", actual: [1, .nan], expected: [1, 2], criterion: criterion).passed)
            XCTAssertFalse(OutputComparison.compare("a", actual: [.nan, .nan], expected: [.nan, .nan], criterion: criterion).passed)
        }
        XCTAssertTrue(OutputComparison.compare("a", actual: [1, .nan], expected: [1, 2], criterion: close).maxRelativeError.isNaN)
        // −0 and +0: equal numbers, different bits.
        XCTAssertTrue(OutputComparison.compare("a", actual: [-0.0, 1], expected: [0, 1], criterion: .equal).passed)
        XCTAssertFalse(OutputComparison.compare("a", actual: [-0.0, 1], expected: [0, 1], criterion: .identical).passed)
        // A scale floor for outputs that cancel.
        XCTAssertTrue(OutputComparison.compare("a", actual: [1e-6], expected: [2e-6], criterion: .close(tolerance: 1e-4, scale: 1)).passed)
        XCTAssertFalse(OutputComparison.compare("a", actual: [1e-6], expected: [2e-6], criterion: close).passed)
        XCTAssertFalse(OutputComparison.compare("a", actual: [1], expected: [1, 2], criterion: close).passed)
    }

    func testJSONLines() throws {
        let result = BackendCheckResult(
            name: "relu.forward", shape: "7",
            outputs: [OutputComparison.compare("y", actual: [1, .nan], expected: [1, 2], criterion: .equal)],
            secondsUnderTest: 0.5, secondsOther: 1)
        let line = BackendCheckReport.jsonLine(result)
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["check"] as? String, "relu.forward")
        XCTAssertEqual(object["passed"] as? Bool, false)
        XCTAssertEqual(object["max_rel_err"] as? String, "nan")
        let report = BackendCheckReport(underTest: "cpu", other: "reference", results: [result])
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.jsonSummary(wallSeconds: 2).utf8)) as? [String: Any])
        XCTAssertEqual(summary["summary"] as? String, "1 checks, 1 failed")
        XCTAssertEqual(summary["failed"] as? Int, 1)
        XCTAssertTrue(report.table().render().contains("FAIL"))
    }
}
