import Foundation
import Support
import XCTest
@testable import Data

/// A fresh temporary directory, removed when the test ends.
func makeTempDirectory(_ test: XCTestCase, _ name: String = #function) throws -> String {
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "vgg-data-tests-\(clean)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Asserts that `body` throws a `DataError` whose description contains every fragment.
func assertDataError<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a DataError containing \(fragments)", file: file, line: line)
    } catch let e as DataError {
        for f in fragments {
            XCTAssertTrue(e.description.contains(f), "'\(e.description)' does not contain '\(f)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// A deterministic RGB test image.
func patternImage(width: Int, height: Int, channels: Int = 3, seed: Int = 0) -> DecodedImage {
    var px = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height { for x in 0..<width { for c in 0..<channels {
        px[(y * width + x) * channels + c] = UInt8((x * 7 + y * 13 + c * 50 + seed * 31) % 256)
    } } }
    return DecodedImage(width: width, height: height, channels: channels, pixels: px)
}
