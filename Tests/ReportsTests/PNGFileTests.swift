import Foundation
import Support
import XCTest
@testable import Reports

final class PNGFileTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "reports-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testRGBRoundTripIsExact() throws {
        let w = 17, h = 9
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for i in px.indices { px[i] = UInt8((i * 37 + i / 3) % 256) }
        let path = dir + "/rgb.png"
        try PNGFile.write(path: path, width: w, height: h, format: .rgb8, pixels: px)
        let back = try PNGFile.read(path: path)
        XCTAssertEqual(back.width, w)
        XCTAssertEqual(back.height, h)
        XCTAssertEqual(back.pixels, px)
    }

    func testRGBAIsReadAsRGBCompositedOnWhite() throws {
        // Two pixels: opaque red, fully transparent blue.
        let px: [UInt8] = [255, 0, 0, 255, 0, 0, 255, 0]
        let path = dir + "/rgba.png"
        try PNGFile.write(path: path, width: 2, height: 1, format: .rgba8, pixels: px)
        let back = try PNGFile.read(path: path)
        XCTAssertEqual(back.pixels, [255, 0, 0, 255, 255, 255])
    }

    func testGrayIsExpandedToRGB() throws {
        let bytes = try PNGFile.encode(width: 3, height: 1, format: .gray8, pixels: [0, 128, 255])
        let back = try PNGFile.decode(bytes)
        XCTAssertEqual(back.pixels, [0, 0, 0, 128, 128, 128, 255, 255, 255])
    }

    func testEncodedBytesStartWithPNGSignature() throws {
        let bytes = try PNGFile.encode(width: 1, height: 1, format: .rgb8, pixels: [1, 2, 3])
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testWritingIntoMissingDirectoryThrowsNamingThePath() {
        let path = dir + "/no/such/dir/out.png"
        XCTAssertThrowsError(try PNGFile.write(path: path, width: 1, height: 1, format: .rgb8, pixels: [0, 0, 0])) { error in
            guard let e = error as? PNGError else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(e.path, path)
            XCTAssertTrue(String(describing: e).contains(path), "\(e)")
            if case .writeFailed = e {} else { XCTFail("expected writeFailed, got \(e)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testCanvasWriteIntoMissingDirectoryThrowsNamingThePath() {
        let path = dir + "/missing/plot.png"
        let plot = ConfusionMatrixPlot(counts: [[1, 0], [0, 1]], classNames: ["a", "b"])
        XCTAssertThrowsError(try plot.write(to: path)) { error in
            XCTAssertTrue(String(describing: error).contains(path), "\(error)")
        }
    }

    func testReadingMissingFileThrowsNamingThePath() {
        let path = dir + "/absent.png"
        XCTAssertThrowsError(try PNGFile.read(path: path)) { error in
            XCTAssertEqual((error as? PNGError)?.path, path)
            XCTAssertTrue(String(describing: error).contains(path))
        }
    }

    func testReadingNonPNGThrowsDecodeErrorNamingThePath() throws {
        let path = dir + "/text.png"
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGFile.read(path: path)) { error in
            guard case .decodeFailed(let p, _)? = error as? PNGError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
        }
    }

    func testWrongBufferSizeIsRejected() {
        XCTAssertThrowsError(try PNGFile.write(path: dir + "/bad.png", width: 2, height: 2, format: .rgb8, pixels: [0, 0, 0])) { error in
            guard case .invalidBuffer? = error as? PNGError else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.png"))
    }

    func testAtomicWriteReplacesFileAndLeavesNoTemporaries() throws {
        let path = dir + "/img.png"
        try PNGFile.write(path: path, width: 1, height: 1, format: .rgb8, pixels: [10, 20, 30])
        try PNGFile.write(path: path, width: 2, height: 1, format: .rgb8, pixels: [1, 2, 3, 4, 5, 6])
        let back = try PNGFile.read(path: path)
        XCTAssertEqual(back.width, 2)
        XCTAssertEqual(back.pixels, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["img.png"])
    }

    func testPlotsAreWrittenAtomicallyInEitherFormat() throws {
        let plot = ConfusionMatrixPlot(counts: [[5, 1], [2, 7]], classNames: ["a", "b"])
        try plot.write(to: dir + "/confusion.png")
        try plot.write(to: dir + "/confusion.svg", format: .svg)
        let back = try PNGFile.read(path: dir + "/confusion.png")
        XCTAssertEqual(back.width, plot.size.width)
        XCTAssertEqual(back.height, plot.size.height)
        let svg = try String(contentsOfFile: dir + "/confusion.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("</svg>"), String(svg.prefix(200)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["confusion.png", "confusion.svg"])
        XCTAssertThrowsError(try plot.write(to: dir + "/missing/confusion.png")) { error in
            XCTAssertTrue("\(error)".contains(self.dir + "/missing/confusion.png"), "\(error)")
        }
    }
}
