import BackendChecks
@testable import CUDABackend
import ReferenceBackend
@_spi(BackendImplementation) import Tensors
import XCTest

/// `vgg check-backend`'s checks (`BackendChecker`, quick) of the `cuda` backend on an emulated
/// device (`EmulatedDevice`) against the `reference` backend at the same precision.
///
/// fp32 with the tolerances of the GPU check (scripts/gpu-check.sh's fp32 step,
/// `BackendCheckOptions`' defaults): an op output passes when `max|a − b| ≤ 1e-4 · max|ref|`,
/// the end-to-end training run at 1e-3, and the outputs the checks mark identical (memory,
/// ReLU, max-pool values, dropout masks, the argmax count) bit for bit.
///
/// bf16 against `reference` in bf16 (the oracle of docs/precision.md): the op outputs at the
/// same 1e-4. Every rounded output must then be the oracle's bf16 value (one bf16 step is
/// 2⁻⁸ of a value, far past 1e-4): the emulated device rounds where the definition says, and
/// its stand-ins for cuDNN and cuBLAS sum in double and round once, as the reference does, so
/// no rounding lands on the other side of a boundary. On a GPU cuDNN's float32 sums may, and
/// its bf16 step (scripts/gpu-check.sh) allows one bf16 step, 1e-2. End to end, step 1's
/// logits and loss are bit for bit; the later steps, weights and momenta within 0.5: one
/// bf16 step of difference in an activation gradient comes out of the batch-of-4 BatchNorm
/// backward as up to 30 % of a momentum buffer's largest element (docs/precision.md).
final class EmulatedDeviceCheckTests: XCTestCase {
    func testEveryQuickCheckPassesAgainstTheReference() throws {
        try checkEverything(precision: .fp32, options: BackendCheckOptions(quick: true))
    }

    func testEveryQuickCheckPassesAgainstTheReferenceInBFloat16() throws {
        let results = try checkEverything(precision: .bf16, options: BackendCheckOptions(tolerance: 1e-4, networkTolerance: 0.5, quick: true))
        let firstStep = results.filter { $0.name == "network.step1" }.flatMap(\.outputs)
        XCTAssertEqual(firstStep.count, 2)
        for output in firstStep { XCTAssertEqual(output.maxRelativeError, 0, "network.step1 \(output.name) not bit for bit in bf16") }
    }

    /// The bf16 op checks see the rounding points: float32 arithmetic (the fp32 backend, whose
    /// outputs are not rounded) fails them against the bf16 oracle.
    func testTheBFloat16ChecksFailFloat32Arithmetic() {
        let checker = BackendChecker(testing: EmulatedDevice.makeBackend(precision: .fp32),
                                     against: ReferenceBackend(threads: 2, precision: .bf16),
                                     options: BackendCheckOptions(tolerance: 1e-4, quick: true, only: "forward"))
        checker.runAll()
        let failed = Set(checker.failures.map(\.name))
        print("fp32 arithmetic against the bf16 oracle: \(checker.failures.count) of \(checker.results.count) forward checks failed: "
              + failed.sorted().joined(separator: ", "))
        for name in ["convolution.forward", "linear.forward", "dropout.forward", "lrn.forward", "avgpool.forward", "softmax.forward",
                     "cross-entropy.forward"] {
            XCTAssertTrue(failed.contains(name), "\(name) passed against the bf16 oracle in fp32")
        }
    }

    @discardableResult
    private func checkEverything(precision: Precision, options: BackendCheckOptions) throws -> [BackendCheckResult] {
        EmulatedDevice.launchErrors = []
        EmulatedDevice.launched = []
        let emulated = EmulatedDevice.makeBackend(precision: precision)
        XCTAssertEqual(emulated.name, "cuda-emulated")
        let checker = BackendChecker(testing: emulated, against: ReferenceBackend(threads: 2, precision: precision), options: options)
        let start = Date()
        checker.runAll()
        let report = BackendCheckReport(underTest: emulated.name, other: "reference", results: checker.results)
        let outputs = checker.results.filter { !$0.name.hasPrefix("network") }.flatMap(\.outputs)
        let exact = outputs.filter { $0.maxRelativeError == 0 }.count
        let worst = outputs.map(\.maxRelativeError).filter { $0.isFinite }.max() ?? 0
        print("check-backend on the emulated cuda device, \(precision.rawValue) (op tolerance \(options.tolerance), end to end "
              + "\(options.networkTolerance)): \(checker.results.count) checks, \(report.failed) failed; \(outputs.count) op outputs compared, "
              + "\(exact) bit for bit, largest relative difference " + String(format: "%.2e", worst) + "; "
              + "\(EmulatedDevice.launched.count) kernels launched (\(EmulatedDevice.launched.sorted().joined(separator: ", "))), "
              + String(format: "%.1f s", Date().timeIntervalSince(start)))
        XCTAssertEqual(EmulatedDevice.launchErrors, [])
        XCTAssertGreaterThan(checker.results.count, 40)
        XCTAssertEqual(report.failed, 0, report.failureLines().joined(separator: "\n"))
        if precision == .bf16 {
            // Every bf16 kernel the backend launches in bf16 ran.
            for kernel in ["f32_to_bf16", "bf16_to_f32", "max_pool_backward_bf16", "softmax_cross_entropy_backward_bf16",
                           "moment_partials_bf16", "bn_backward_partials_bf16", "channel_affine_bf16", "bn_backward_apply_bf16",
                           "lrn_forward_bf16", "lrn_backward_bf16", "softmax_rows_bf16", "softmax_cross_entropy_bf16",
                           "dropout_forward_bf16", "multiply_in_place_bf16"] {
                XCTAssertTrue(EmulatedDevice.launched.contains(kernel), "\(kernel) never ran")
            }
        }
        return checker.results
    }
}
