import XCTest
@testable import Kernels

/// The choice of OpenBLAS kernel set: a weak one (a preset, or OpenBLAS's own fallback on
/// a CPU model it does not know) is replaced by the best one the instruction set allows.
final class BLASCoreSelectionTests: XCTestCase {
    func testFallbackKernelOnAnAVX512MachineIsUpgraded() {
        // OpenBLAS 0.3.21 names an unknown Xeon (e.g. one a VM reports generically) Prescott.
        XCTAssertEqual(KernelRuntime.blasCoreUpgrade(running: "Prescott", best: "SkylakeX"), "SkylakeX")
        XCTAssertEqual(KernelRuntime.blasCoreUpgrade(running: "Haswell", best: "SkylakeX"), "SkylakeX")
        XCTAssertEqual(KernelRuntime.blasCoreUpgrade(running: "Zen", best: "SkylakeX"), "SkylakeX")
    }

    func testAnAsGoodKernelIsKept() {
        XCTAssertNil(KernelRuntime.blasCoreUpgrade(running: "SkylakeX", best: "SkylakeX"))
        XCTAssertNil(KernelRuntime.blasCoreUpgrade(running: "Cooperlake", best: "SkylakeX"))
        XCTAssertNil(KernelRuntime.blasCoreUpgrade(running: "Zen", best: "Haswell"))
        XCTAssertNil(KernelRuntime.blasCoreUpgrade(running: "haswell", best: "Haswell"))
    }

    func testAVX2MachineOnAGenericKernelIsUpgraded() {
        XCTAssertEqual(KernelRuntime.blasCoreUpgrade(running: "Prescott", best: "Haswell"), "Haswell")
        XCTAssertEqual(KernelRuntime.blasCoreUpgrade(running: "Sandybridge", best: "Haswell"), "Haswell")
    }

    func testNoAdviceWithoutAKnownBestCore() {
        XCTAssertNil(KernelRuntime.blasCoreUpgrade(running: "Prescott", best: nil))
    }
}
