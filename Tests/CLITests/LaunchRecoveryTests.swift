import Foundation
@testable import vgg
import XCTest

/// `vgg launch`'s decisions without processes: the command line it is given, the hostfile, the
/// lost-rank lines of our messages, the mpirun command of each run, and what follows a failure
/// (restart from the start or with --resume, on which hosts and ranks, or not at all).
final class LaunchRecoveryTests: XCTestCase {
    // The lines our ranks print when a host is lost (docs/distributed.md, "A lost host").
    let killed = "rank 0: lost rank 1 (host node2): its connection to rank 0 closed without a goodbye (the process was killed or its host went down)"
    let partition = "rank 0 (host node1): the loss of epoch 1, batch 42 (collective #111) did not complete within 5 s; "
        + "rank 1 (host node2) never reached it (died or hangs); rank 1 (host node2) not heard from for 5.1 s (its host down or cut off, or the process stopped)"

    func plan(_ head: [String] = ["--hostfile", "hosts"], train: [String] = ["--out", "runs/job"]) throws -> LaunchPlan {
        try LaunchPlan(words: head + ["--", "train"] + train)
    }

    func hosts(_ spec: [(String, Int)]) -> [HostfileEntry] {
        spec.map { HostfileEntry(name: $0.0, slots: $0.1, line: "\($0.0) slots=\($0.1)") }
    }

    func state(_ plan: LaunchPlan, _ hosts: [HostfileEntry]) -> LaunchState {
        LaunchState(hosts: hosts, ranks: plan.ranks, trainWords: plan.trainWords, restarts: 0)
    }

    let checkpoint64 = LaunchCheckpoint(batchSize: 64, reproducibleShardSize: nil, epoch: 1, batchInEpoch: 20)

    // MARK: the command line

    func testThePlanSplitsTheLaunchersOptionsMpirunsAndTheTraining() throws {
        let p = try LaunchPlan(words: ["--hostfile", "h", "--max-restarts", "5", "-np", "4", "--mca", "btl", "tcp,self",
                                       "--probe-port", "2222", "--probe-timeout", "0.5", "--", "train", "--batch-size", "64", "--out", "runs/x"])
        XCTAssertEqual(p.hostfile, "h")
        XCTAssertEqual(p.maxRestarts, 5)
        XCTAssertEqual(p.ranks, 4)
        XCTAssertEqual(p.probePort, 2222)
        XCTAssertEqual(p.probeTimeout, 0.5)
        XCTAssertEqual(p.mpirunOptions, ["--mca", "btl", "tcp,self"])
        XCTAssertEqual(p.trainWords, ["train", "--batch-size", "64", "--out", "runs/x"])
        XCTAssertEqual(p.outDirectory, "runs/x")
        XCTAssertEqual(try plan(train: ["--out=runs/y"]).outDirectory, "runs/y")
        XCTAssertEqual(try plan(train: []).outDirectory, "runs/train")
        XCTAssertNil(try plan().ranks)
        XCTAssertEqual(try plan().maxRestarts, 3)
    }

    func testThePlanRefusesWhatItCannotRestart() {
        func refused(_ words: [String], _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try LaunchPlan(words: words), line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line)
            }
        }
        refused(["--hostfile", "h", "train"], "give the training after --")
        refused(["--", "train"], "--hostfile FILE is required")
        refused(["--hostfile", "h", "--", "bench"], "after -- comes `train`")
        refused(["--hostfile", "h", "--"], "(got nothing)")
        refused(["--hostfile", "h", "--host", "a,b", "--", "train"], "not --host")
        refused(["--hostfile", "h", "--max-restarts", "-1", "--", "train"], "--max-restarts needs a count")
        refused(["--hostfile", "h", "-np", "0", "--", "train"], "-np needs a number of ranks")
        refused(["--hostfile", "h", "--probe-port", "0", "--", "train"], "--probe-port needs a port number")
        refused(["--hostfile", "h", "--probe-timeout", "x", "--", "train"], "--probe-timeout needs seconds")
        refused(["--hostfile", "--", "train"], "--hostfile needs a value")
    }

    func testTheHostfileGivesEachHostItsSlots() {
        let text = """
        # the job's hosts
        node1 slots=2
        node2 max_slots=8 slots=4   # slots wins over max_slots wherever it stands

        node3\tmax_slots=3
        node4
        """
        XCTAssertEqual(HostfileEntry.parse(text).map { "\($0.name):\($0.slots)" }, ["node1:2", "node2:4", "node3:3", "node4:1"])
        XCTAssertEqual(HostfileEntry.parse(text)[1].line, "node2 max_slots=8 slots=4")
        XCTAssertEqual(HostfileEntry.parse("# nothing\n\n"), [])
    }

    func testTheHostfileWrittenForARestartReadsBackTheSame() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("launch-\(UUID().uuidString).hosts").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = HostfileEntry.parse("node1 slots=2\nnode3 slots=1 # kept\n")
        try HostfileEntry.write(written, to: path)
        XCTAssertEqual(try HostfileEntry.read(path), written)
        XCTAssertThrowsError(try HostfileEntry.read(path + ".missing")) { XCTAssertTrue("\($0)".contains("cannot read the hostfile")) }
    }

    // MARK: the lost-rank lines

    func testEveryFormOfALostRankIsRead() {
        XCTAssertEqual(LostRankLines.lost(in: "progress\n\(killed)\n"), [.init(rank: 1, host: "node2")])
        XCTAssertEqual(LostRankLines.lost(in: partition), [.init(rank: 1, host: "node2")], "rank 0, the reporter, is not lost")
        let two = "rank 0 (host a): the loss of epoch 2, batch 3 (collective #9) did not complete within 30 s; rank 2 (host c) never reached it (died or hangs); "
            + "rank 3 (host d) not heard from for 31.0 s (its host down)\nrank 0: lost rank 1 (host b): closed; lost rank 2 (host c): closed"
        XCTAssertEqual(LostRankLines.lost(in: two), [.init(rank: 2, host: "c"), .init(rank: 3, host: "d"), .init(rank: 1, host: "b")],
                       "in the order named, each rank once")
    }

    // What Open MPI 4 printed when mpirun's keepalive (4 s + 2 x 1 s) saw a partitioned host
    // before a rank's --comm-timeout 30 did (2 namespace hosts, the second's link taken down).
    let daemonLost = """
        --------------------------------------------------------------------------
        ORTE has lost communication with a remote daemon.

          HNP daemon   : [[50817,0],0] on node node1
          Remote daemon: [[50817,0],1] on node node2

        This is usually due to either a failure of the TCP network
        connection to the node, or possibly an internal failure of
        the daemon itself. We cannot recover from this failure, and
        therefore will terminate the job.
        --------------------------------------------------------------------------
        """

    func testTheHostOfADaemonThatMpirunLostIsReadWithoutARank() throws {
        XCTAssertEqual(LostRankLines.lost(in: daemonLost), [.init(rank: nil, host: "node2")], "the remote daemon's host, not mpirun's own")
        XCTAssertEqual(LostRankLines.lost(in: daemonLost + "\n" + partition), [.init(rank: 1, host: "node2")], "a rank named later replaces the rankless entry")
        XCTAssertEqual(LostRankLines.lost(in: partition + "\n" + daemonLost), [.init(rank: 1, host: "node2")], "the host once")
        XCTAssertEqual(LostRankLines.lost(in: "  Remote daemon: [[1,0],1] on node node2"), [], "without the banner, not read")
        let p = try plan()
        let d = LaunchRecovery.afterFailure(status: 205, output: daemonLost, plan: p, state: state(p, hosts([("node1", 2), ("node2", 2)])),
                                            answers: { _ in false }, checkpoint: { self.checkpoint64 })
        XCTAssertEqual(d.next?.hosts, hosts([("node1", 2)]))
        XCTAssertEqual(d.messages.last, "vgg launch: lost host node2 (mpirun lost its daemon) at epoch 2, batch 20; restarting on 1 host with --resume (restart 1 of 3)")
    }

    func testLinesThatNameNoLostHostAreNotRead() {
        XCTAssertEqual(LostRankLines.lost(in: "rank 0: the loss of epoch 1, batch 6 (collective #15) did not complete within 4 s; rank 1 never reached it"), [],
                       "a rank without a host cannot be dropped")
        XCTAssertEqual(LostRankLines.lost(in: "rank 1 (host node2): Error: data directory does not exist"), [])
        XCTAssertEqual(LostRankLines.lost(in: "ORTE was unable to reliably start one or more daemons"), [])
        XCTAssertEqual(LostRankLines.lost(in: "rank 1 (host ) never reached it"), [], "an empty host name")
    }

    // MARK: the runs

    func testTheMpirunCommandOfARun() throws {
        let p = try plan(["--hostfile", "hosts", "--mca", "btl", "tcp,self"])
        var s = state(p, hosts([("node1", 1), ("node2", 1)]))
        XCTAssertEqual(LaunchRecovery.mpirunArguments(hostfile: "hosts", plan: p, state: s, executable: "/bin/vgg"),
                       ["--hostfile", "hosts", "--mca", "btl", "tcp,self", "/bin/vgg", "train", "--out", "runs/job"], "no -np: every slot")
        s.ranks = 3
        s.trainWords.append("--resume")
        XCTAssertEqual(LaunchRecovery.mpirunArguments(hostfile: "/tmp/left", plan: p, state: s, executable: "/bin/vgg"),
                       ["--hostfile", "/tmp/left", "--mca", "btl", "tcp,self", "-np", "3", "/bin/vgg", "train", "--out", "runs/job", "--resume"])
    }

    func testAJobThatNamesNoLostHostIsNotRestartedNorProbed() throws {
        let p = try plan()
        let d = LaunchRecovery.afterFailure(status: 1, output: "Error: Unknown option '--no-such-option'", plan: p, state: state(p, hosts([("node1", 1), ("node2", 1)])),
                                            answers: { XCTFail("probed \($0)"); return true }, checkpoint: { XCTFail("read the checkpoint"); return nil })
        XCTAssertNil(d.next)
        XCTAssertEqual(d.messages, ["vgg launch: the job failed (status 1) and named no lost host: not restarted"])
    }

    func testALostHostThatDoesNotAnswerIsDroppedAndTheRunResumes() throws {
        let p = try plan()
        var probed: [String] = []
        let d = LaunchRecovery.afterFailure(status: 205, output: killed, plan: p, state: state(p, hosts([("node1", 2), ("node2", 2)])),
                                            answers: { probed.append($0); return false }, checkpoint: { self.checkpoint64 })
        XCTAssertEqual(probed, ["node2"])
        XCTAssertEqual(d.next, LaunchState(hosts: hosts([("node1", 2)]), ranks: 2, trainWords: ["train", "--out", "runs/job", "--resume"], restarts: 1))
        XCTAssertEqual(d.messages, [
            "vgg launch: host node2 does not answer (TCP port 22, 3.0 s): dropped from the hostfile",
            "vgg launch: lost host node2 (rank 1) at epoch 2, batch 20; restarting on 1 host with --resume (restart 1 of 3)",
        ])
    }

    func testALostHostBeforeAnyCheckpointRestartsFromTheStart() throws {
        let p = try plan()
        let d = LaunchRecovery.afterFailure(status: 137, output: partition, plan: p, state: state(p, hosts([("node1", 1), ("node2", 1)])),
                                            answers: { _ in false }, checkpoint: { nil })
        XCTAssertEqual(d.next?.trainWords, ["train", "--out", "runs/job"], "nothing to resume: no --resume")
        XCTAssertEqual(d.next?.hosts.map(\.name), ["node1"])
        XCTAssertEqual(d.next?.ranks, 1)
        XCTAssertEqual(d.messages.last, "vgg launch: lost host node2 (rank 1) before the first checkpoint; restarting on 1 host from the start (restart 1 of 3)")
    }

    func testALostHostThatStillAnswersIsKeptAndRestarted() throws {
        let p = try plan(["--hostfile", "hosts", "-np", "4"])
        let s = state(p, hosts([("node1", 2), ("node2", 2)]))
        let d = LaunchRecovery.afterFailure(status: 205, output: killed, plan: p, state: s, answers: { _ in true }, checkpoint: { self.checkpoint64 })
        XCTAssertEqual(d.next?.hosts, s.hosts, "the host answers: its process was lost, not its network")
        XCTAssertEqual(d.next?.ranks, 4)
        XCTAssertEqual(d.messages, ["vgg launch: lost host node2 (rank 1) at epoch 2, batch 20; it answers, so it stays; restarting on 2 hosts with --resume (restart 1 of 3)"])
    }

    /// Three failures in a row: from the start (no checkpoint yet), then with --resume (added
    /// once), then --max-restarts 2 reached, where nothing is probed any more.
    func testSeveralRestartsUntilMaxRestarts() throws {
        let p = try plan(["--hostfile", "hosts", "--max-restarts", "2"])
        let first = state(p, hosts([("node1", 1), ("node2", 1), ("node3", 1), ("node4", 1)]))
        let lostNode4 = "rank 0: lost rank 3 (host node4): its connection to rank 0 closed without a goodbye"
        let d1 = LaunchRecovery.afterFailure(status: 205, output: lostNode4, plan: p, state: first, answers: { $0 != "node4" }, checkpoint: { nil })
        let s2 = try XCTUnwrap(d1.next)
        XCTAssertEqual(s2.hosts.map(\.name), ["node1", "node2", "node3"])
        XCTAssertEqual(s2.ranks, 3)
        XCTAssertFalse(s2.trainWords.contains("--resume"))
        XCTAssertTrue(d1.messages.last!.hasSuffix("restarting on 3 hosts from the start (restart 1 of 2)"), d1.messages.last!)

        // 3 ranks; the second failure loses node3, with a checkpoint of a batch of 64 written by now.
        let lostNode3 = "rank 0: lost rank 2 (host node3): its connection to rank 0 closed without a goodbye"
        let d2 = LaunchRecovery.afterFailure(status: 205, output: lostNode3, plan: p, state: s2, answers: { $0 != "node3" }, checkpoint: { self.checkpoint64 })
        let s3 = try XCTUnwrap(d2.next)
        XCTAssertEqual(s3.hosts.map(\.name), ["node1", "node2"])
        XCTAssertEqual(s3.ranks, 2)
        XCTAssertEqual(s3.trainWords, ["train", "--out", "runs/job", "--resume"])
        XCTAssertEqual(s3.restarts, 2)
        XCTAssertTrue(d2.messages.last!.hasSuffix("at epoch 2, batch 20; restarting on 2 hosts with --resume (restart 2 of 2)"), d2.messages.last!)
        XCTAssertEqual(LaunchRecovery.mpirunArguments(hostfile: "left", plan: p, state: s3, executable: "vgg").filter { $0 == "--resume" }.count, 1)

        let d3 = LaunchRecovery.afterFailure(status: 205, output: "rank 0: lost rank 1 (host node2): closed", plan: p, state: s3,
                                             answers: { XCTFail("probed \($0)"); return false }, checkpoint: { self.checkpoint64 })
        XCTAssertNil(d3.next)
        XCTAssertEqual(d3.messages, ["vgg launch: lost host node2 (rank 1); --max-restarts 2 reached: not restarted"])

        // A --resume already there is not added again.
        var again = s3
        again.restarts = 0
        let d4 = LaunchRecovery.afterFailure(status: 205, output: "rank 0: lost rank 1 (host node2): closed", plan: p, state: again,
                                             answers: { _ in true }, checkpoint: { self.checkpoint64 })
        XCTAssertEqual(d4.next?.trainWords.filter { $0 == "--resume" }.count, 1)
    }

    func testTheRanksLeftAreAtMostTheGivenNp() throws {
        let p = try plan(["--hostfile", "hosts", "-np", "2"])
        let d = LaunchRecovery.afterFailure(status: 205, output: "rank 0: lost rank 1 (host node3): closed", plan: p,
                                            state: state(p, hosts([("node1", 4), ("node2", 4), ("node3", 4)])),
                                            answers: { _ in false }, checkpoint: { self.checkpoint64 })
        XCTAssertEqual(d.next?.ranks, 2, "8 slots left, 2 ranks asked for")
    }

    func testABatchThatDoesNotDivideAmongTheRanksLeftIsNotRestarted() throws {
        let p = try plan()
        let three = hosts([("node1", 1), ("node2", 1), ("node3", 1), ("node4", 1)])
        let lost = "rank 0: lost rank 3 (host node4): closed"
        let d = LaunchRecovery.afterFailure(status: 205, output: lost, plan: p, state: state(p, three), answers: { $0 != "node4" }, checkpoint: { self.checkpoint64 })
        XCTAssertNil(d.next)
        XCTAssertEqual(d.messages.last, "vgg launch: the global batch of 64 does not divide among 3 ranks: not restarted")

        // --reproducible: 48 divides among 3 ranks, but the ranks must be a power of two.
        let shards = LaunchCheckpoint(batchSize: 48, reproducibleShardSize: 16, epoch: 0, batchInEpoch: 4)
        let r = LaunchRecovery.afterFailure(status: 205, output: lost, plan: p, state: state(p, three), answers: { $0 != "node4" }, checkpoint: { shards })
        XCTAssertNil(r.next)
        XCTAssertEqual(r.messages.last, "vgg launch: 3 processes: the number of processes must be a power of two: not restarted")
    }

    func testNoHostLeftIsNotRestarted() throws {
        let p = try plan()
        let d = LaunchRecovery.afterFailure(status: 205, output: "rank 0: lost rank 0 (host node1): closed", plan: p, state: state(p, hosts([("node1", 2)])),
                                            answers: { _ in false }, checkpoint: { self.checkpoint64 })
        XCTAssertNil(d.next)
        XCTAssertEqual(d.messages.last, "vgg launch: no host left: not restarted")
    }

    /// A host the messages name otherwise than the hostfile (an address there, a hostname in the
    /// messages) cannot be dropped: restarting would start on it again.
    func testADeadHostThatNoLineOfTheHostfileNamesIsNotRestarted() throws {
        let p = try plan()
        let d = LaunchRecovery.afterFailure(status: 205, output: killed, plan: p, state: state(p, hosts([("10.0.0.1", 1), ("10.0.0.2", 1)])),
                                            answers: { _ in false }, checkpoint: { self.checkpoint64 })
        XCTAssertNil(d.next)
        XCTAssertEqual(d.messages, ["vgg launch: host node2 does not answer (TCP port 22, 3.0 s) but no line of the hostfile names it (it names 10.0.0.1, 10.0.0.2): not restarted"])
    }

    // MARK: which checkpoint is the job's

    func testOnlyACheckpointOfThisJobIsResumed() throws {
        let then = FileIdentity(inode: 7, size: 100, modified: Date(timeIntervalSince1970: 1000))
        let now = FileIdentity(inode: 8, size: 100, modified: Date(timeIntervalSince1970: 2000))
        XCTAssertFalse(LaunchRecovery.checkpointBelongsToTheJob(nil, atLaunch: nil, resumedByUser: false))
        XCTAssertFalse(LaunchRecovery.checkpointBelongsToTheJob(nil, atLaunch: then, resumedByUser: true))
        XCTAssertTrue(LaunchRecovery.checkpointBelongsToTheJob(now, atLaunch: nil, resumedByUser: false), "written by the job")
        XCTAssertFalse(LaunchRecovery.checkpointBelongsToTheJob(then, atLaunch: then, resumedByUser: false), "an earlier run's, left in --out")
        XCTAssertTrue(LaunchRecovery.checkpointBelongsToTheJob(then, atLaunch: then, resumedByUser: true), "the one the training resumes")
        XCTAssertTrue(LaunchRecovery.checkpointBelongsToTheJob(now, atLaunch: then, resumedByUser: false), "replaced by the job")
    }

    func testACheckpointRenamedIntoPlaceIsAnotherFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let last = dir.appendingPathComponent("last.ckpt").path
        XCTAssertNil(FileIdentity(of: last))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: last))
        let old = try XCTUnwrap(FileIdentity(of: last))
        XCTAssertEqual(FileIdentity(of: last), old)
        let tmp = dir.appendingPathComponent("last.ckpt.tmp").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tmp))
        XCTAssertEqual(rename(tmp, last), 0)
        XCTAssertNotEqual(FileIdentity(of: last), old, "same size and content, another file")
    }
}
