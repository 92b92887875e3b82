import BackendChecks
@testable import CUDABackend
import ReferenceBackend
import XCTest

/// `vgg check-backend`'s checks (`BackendChecker`, quick) of the `cuda` backend on an emulated
/// device (`EmulatedDevice`) against the `reference` backend, fp32, with the tolerances of the
/// GPU check (scripts/gpu-check.sh's fp32 step, `BackendCheckOptions`' defaults): an op output
/// passes when `max|a − b| ≤ 1e-4 · max|ref|`, the end-to-end training run at 1e-3, and the
/// outputs the checks mark identical (memory, ReLU, max-pool values, dropout masks, the argmax
/// count) bit for bit.
final class EmulatedDeviceCheckTests: XCTestCase {
    func testEveryQuickCheckPassesAgainstTheReference() throws {
        EmulatedDevice.launchErrors = []
        EmulatedDevice.launched = []
        let emulated = EmulatedDevice.makeBackend()
        XCTAssertEqual(emulated.name, "cuda-emulated")
        let options = BackendCheckOptions(quick: true)
        let checker = BackendChecker(testing: emulated, against: ReferenceBackend(threads: 2), options: options)
        let start = Date()
        checker.runAll()
        let report = BackendCheckReport(underTest: emulated.name, other: "reference", results: checker.results)
        let outputs = checker.results.reduce(0) { $0 + $1.outputs.count }
        print("check-backend on the emulated cuda device: \(checker.results.count) checks, \(outputs) outputs compared, "
              + "\(report.failed) failed, \(EmulatedDevice.launched.count) kernels launched "
              + "(\(EmulatedDevice.launched.sorted().joined(separator: ", "))), "
              + String(format: "%.1f s", Date().timeIntervalSince(start)))
        XCTAssertEqual(EmulatedDevice.launchErrors, [])
        XCTAssertGreaterThan(checker.results.count, 40)
        XCTAssertEqual(report.failed, 0, report.failureLines().joined(separator: "\n"))
    }
}
