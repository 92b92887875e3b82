import XCTest
import CPUBackend

/// The choice of OpenBLAS kernel set: a weak one (a preset, or OpenBLAS's own fallback on
/// a CPU model it does not know) is replaced by the best one the instruction set allows.
final class BLASCoreSelectionTests: XCTestCase {
    func testFallbackKernelOnAnAVX512MachineIsUpgraded() {
        // OpenBLAS 0.3.21 names an unknown Xeon (e.g. one a VM reports generically) Prescott.
        XCTAssertEqual(BLASCoreSelection.upgrade(running: "Prescott", best: "SkylakeX"), "SkylakeX")
        XCTAssertEqual(BLASCoreSelection.upgrade(running: "Haswell", best: "SkylakeX"), "SkylakeX")
        XCTAssertEqual(BLASCoreSelection.upgrade(running: "Zen", best: "SkylakeX"), "SkylakeX")
    }

    func testAnAsGoodKernelIsKept() {
        XCTAssertNil(BLASCoreSelection.upgrade(running: "SkylakeX", best: "SkylakeX"))
        XCTAssertNil(BLASCoreSelection.upgrade(running: "Cooperlake", best: "SkylakeX"))
        XCTAssertNil(BLASCoreSelection.upgrade(running: "Zen", best: "Haswell"))
        XCTAssertNil(BLASCoreSelection.upgrade(running: "haswell", best: "Haswell"))
    }

    func testAVX2MachineOnAGenericKernelIsUpgraded() {
        XCTAssertEqual(BLASCoreSelection.upgrade(running: "Prescott", best: "Haswell"), "Haswell")
        XCTAssertEqual(BLASCoreSelection.upgrade(running: "Sandybridge", best: "Haswell"), "Haswell")
    }

    func testNoAdviceWithoutAKnownBestCore() {
        XCTAssertNil(BLASCoreSelection.upgrade(running: "Prescott", best: nil))
    }
}
