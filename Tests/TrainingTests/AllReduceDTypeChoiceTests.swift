import Tensors
import Training
import XCTest

/// `--allreduce-dtype auto`: bfloat16 exactly when some rank is on another host, never under
/// `--reproducible`; an explicit precision is kept.
final class AllReduceDTypeChoiceTests: XCTestCase {
    func testAutoFollowsTheTransport() {
        XCTAssertEqual(AllReduceDTypeChoice.automatic.resolved(spansHosts: true, reproducible: false), .bfloat16)
        XCTAssertEqual(AllReduceDTypeChoice.automatic.resolved(spansHosts: false, reproducible: false), .float32)
    }

    func testAutoIsFloat32UnderReproducible() {
        XCTAssertEqual(AllReduceDTypeChoice.automatic.resolved(spansHosts: true, reproducible: true), .float32)
        XCTAssertEqual(AllReduceDTypeChoice.automatic.reason(spansHosts: true, reproducible: true), "auto: --reproducible")
    }

    func testAnExplicitPrecisionIsKept() {
        for spans in [false, true] {
            XCTAssertEqual(AllReduceDTypeChoice.float32.resolved(spansHosts: spans, reproducible: false), .float32)
            XCTAssertEqual(AllReduceDTypeChoice.bfloat16.resolved(spansHosts: spans, reproducible: false), .bfloat16)
        }
        XCTAssertEqual(AllReduceDTypeChoice.bfloat16.reason(spansHosts: false, reproducible: false), "--allreduce-dtype bfloat16")
    }
}
