import Foundation
import Support
import XCTest

/// The one atomic-write helper: the target changes only on commit; a failure or an abort
/// leaves the previous file and no temporary behind.
final class AtomicFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testStreamedWriteAppearsOnlyOnCommit() throws {
        let path = dir.appendingPathComponent("f.bin").path
        try AtomicFile.write([1, 2, 3], to: path)
        let w = try AtomicFileWriter(path: path)
        try w.write([9, 9, 9, 9])
        try w.overwrite([7], at: 1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([1, 2, 3]), "unchanged before commit")
        try w.commit()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([9, 7, 9, 9]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: w.temporaryPath))
    }

    func testAbortAndDroppedWritersLeaveThePreviousFile() throws {
        let path = dir.appendingPathComponent("g.bin").path
        try AtomicFile.write([1], to: path)
        let w = try AtomicFileWriter(path: path)
        try w.write([2, 2])
        w.abort()
        do { let dropped = try AtomicFileWriter(path: path); try dropped.write([3]) }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([1]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["g.bin"], "no temporary left behind")
    }

    func testAFullDiskNamesTheFileAndKeepsThePrevious() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let path = dir.appendingPathComponent("h.bin").path
        try AtomicFile.write([5], to: path)
        let w0 = try AtomicFileWriter(path: path)
        let temporary = w0.temporaryPath
        w0.abort()
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: "/dev/full")
        XCTAssertThrowsError(try AtomicFile.write([UInt8](repeating: 1, count: 1 << 16), to: path)) { e in
            XCTAssertTrue("\(e)".contains("No space left on device") && "\(e)".contains("h.bin")
                          && "\(e)".contains("previous file is unchanged"), "\(e)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([5]))
    }

    /// A process killed while writing leaves its temporary file; a later run removes it,
    /// but not the temporary file of a process still writing, nor the target.
    func testLeftoversOfStoppedWritersAreRemoved() throws {
        let path = dir.appendingPathComponent("last.ckpt").path
        try AtomicFile.write([1], to: path)
        // A pid that is not running: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = dir.appendingPathComponent(".last.ckpt.tmp-\(child.processIdentifier)").path
        let live = dir.appendingPathComponent(".last.ckpt.tmp-1").path
        let other = dir.appendingPathComponent(".best.ckpt.tmp-\(child.processIdentifier)").path
        for p in [dead, live, other] { try AtomicFile.write([2], to: p) }
        XCTAssertEqual(AtomicFileWriter.removeLeftovers(of: path), [dead])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead))
        for p in [path, live, other] { XCTAssertTrue(FileManager.default.fileExists(atPath: p), p) }
    }
}
