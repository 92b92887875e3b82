import BackendChecks
@testable import CUDABackend
import Foundation
import ReferenceBackend
import Tensors
import XCTest

/// The `cuda` backend: where there is no GPU (or no driver, cuBLAS, cuDNN or NVRTC) creating
/// it fails at once with an error naming what is missing, and the GPU tests skip saying why;
/// on a GPU machine every quick check of `vgg check-backend` passes against the reference.
final class CUDABackendTests: XCTestCase {
    /// A backend on the first GPU, or a skip naming why there is none.
    private func backend(_ precision: CUDAPrecision = .fp32) throws -> CUDABackend {
        do {
            return try CUDABackend(configuration: CUDABackendConfiguration(precision: precision))
        } catch {
            let message = "\(error)"
            print("CUDA tests skipped: \(message)")
            throw XCTSkip("no usable GPU: \(message)")
        }
    }

    func testWithoutAGPUTheErrorNamesWhatIsMissing() throws {
        do {
            _ = try CUDABackend()
        } catch let e as BackendError {
            XCTAssertEqual(e.operation, "cuda backend")
            // The message names the library file that failed to load, or the device.
            let named = ["libcuda.so.1", "libnvrtc.so.13", "libnvrtc.so.12", "libcublas.so.13", "libcublas.so.12", "libcudnn.so.9",
                         "no CUDA device", "device"]
            XCTAssertTrue(named.contains { e.problem.contains($0) }, e.problem)
            if !FileManager.default.fileExists(atPath: "/proc/driver/nvidia/version") {
                // No NVIDIA driver at all: the first library tried, the driver's, is the one named.
                XCTAssertTrue(e.problem.contains("libcuda.so.1"), e.problem)
            }
            return
        }
        // A GPU is there: nothing to check here (the other tests run).
    }

    /// bf16 is not refused by name any more: without a GPU it fails as fp32 does, naming the
    /// missing library, not the precision.
    func testBF16WithoutAGPUFailsNamingWhatIsMissing() throws {
        do {
            _ = try CUDABackend(configuration: CUDABackendConfiguration(precision: .bf16))
        } catch let e as BackendError {
            XCTAssertEqual(e.operation, "cuda backend")
            XCTAssertFalse(e.problem.contains("bf16"), e.problem)
            return
        }
    }

    func testEnvironmentSettingsAreValidated() throws {
        XCTAssertThrowsError(try CUDABackendConfiguration.fromEnvironment(["VGG_PRECISION": "fp8"]))
        XCTAssertThrowsError(try CUDABackendConfiguration.fromEnvironment(["VGG_DEVICE": "-1"]))
        let c = try CUDABackendConfiguration.fromEnvironment(["VGG_PRECISION": "TF32", "VGG_DEVICE": "1", "VGG_CUDA_WORKSPACE_MB": "64"])
        XCTAssertEqual(c.precision, .tf32)
        XCTAssertEqual(c.device, 1)
        XCTAssertEqual(c.workspaceLimitBytes, 64 << 20)
    }

    func testEveryQuickCheckPassesAgainstTheReference() throws {
        let cuda = try backend()
        let checker = BackendChecker(testing: cuda, against: ReferenceBackend(threads: 2), options: BackendCheckOptions(quick: true))
        checker.runAll()
        let report = BackendCheckReport(underTest: "cuda", other: "reference", results: checker.results)
        XCTAssertEqual(report.failed, 0, report.failureLines().joined(separator: "\n"))
    }

    /// bf16 against the bf16 oracle with the GPU check's bf16 tolerances (scripts/gpu-check.sh).
    func testEveryQuickCheckPassesAgainstTheReferenceInBFloat16() throws {
        let cuda = try backend(.bf16)
        let checker = BackendChecker(testing: cuda, against: ReferenceBackend(threads: 2, precision: .bf16),
                                     options: BackendCheckOptions(tolerance: 1e-2, networkTolerance: 0.5, quick: true))
        checker.runAll()
        let report = BackendCheckReport(underTest: "cuda", other: "reference", results: checker.results)
        XCTAssertEqual(report.failed, 0, report.failureLines().joined(separator: "\n"))
    }
}
