import Foundation
import Support
import XCTest

/// A first SIGINT or SIGTERM inside `deferring` is recorded for the work to notice. (Outside
/// it, or a second time, the process exits at once: scripts/test-cli.sh checks that.)
final class StopSignalsTests: XCTestCase {
    func testAFirstSignalWhileDeferringIsRecorded() {
        StopSignals.install(notice: "")
        defer { StopSignals.uninstall() }
        XCTAssertNil(StopSignals.received)
        StopSignals.deferring {
            raise(SIGTERM)
            XCTAssertEqual(StopSignals.received, SIGTERM)
        }
        XCTAssertEqual(StopSignals.received, SIGTERM, "kept until reset")
        StopSignals.reset()
        XCTAssertNil(StopSignals.received)
        XCTAssertEqual(StopSignals.exitStatus(for: SIGINT), 130)
        XCTAssertEqual(StopSignals.exitStatus(for: SIGTERM), 143)
        XCTAssertEqual(StopSignals.name(of: SIGINT), "SIGINT")
    }
}
