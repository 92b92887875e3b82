import Distributed
import XCTest

/// Which all-reduce runs for a layout of ranks on hosts: hierarchical only for ≥ 2 hosts with
/// the same number (≥ 2) of ranks each, flat everywhere else and whenever flat is asked for.
final class AllReduceSchemeTests: XCTestCase {
    func testHierarchicalNeedsSeveralHostsOfSeveralRanksEach() {
        XCTAssertEqual(AllReduceScheme.scatter.resolved(hosts: ["a", "a", "b", "b"]), .scatter)
        XCTAssertEqual(AllReduceScheme.leader.resolved(hosts: ["a", "b", "a", "b"]), .leader)
        XCTAssertEqual(AllReduceScheme.scatter.resolved(hosts: ["a", "b"]), .flat, "one rank per host: nothing to sum inside a host")
        XCTAssertEqual(AllReduceScheme.leader.resolved(hosts: ["a", "a", "a", "a"]), .flat, "one host: the flat all-reduce is already over shared memory")
        XCTAssertEqual(AllReduceScheme.scatter.resolved(hosts: ["a", "a", "a", "b"]), .flat, "uneven hosts")
        XCTAssertEqual(AllReduceScheme.leader.resolved(hosts: ["a", "a", "", "b"]), .flat, "a hostname unknown")
    }

    func testFlatStaysFlat() {
        XCTAssertEqual(AllReduceScheme.flat.resolved(hosts: ["a", "a", "b", "b"]), .flat)
    }
}
