import Foundation
import Support
import XCTest
@testable import Data

final class StatisticsTests: XCTestCase {
    func testJacobiEigen() {
        let m: [Double] = [4, 1, 0, 1, 3, 0, 0, 0, 1]
        let (vals, vecs) = SymmetricEigen.decompose(m, n: 3)
        let expected = [(7 + 5.0.squareRoot()) / 2, (7 - 5.0.squareRoot()) / 2, 1]
        for (a, b) in zip(vals, expected) { XCTAssertEqual(a, b, accuracy: 1e-10) }
        // A v = λ v for each column; columns orthonormal.
        for k in 0..<3 {
            let v = (0..<3).map { vecs[$0 * 3 + k] }
            for i in 0..<3 {
                let av = (0..<3).map { m[i * 3 + $0] * v[$0] }.reduce(0, +)
                XCTAssertEqual(av, vals[k] * v[i], accuracy: 1e-9)
            }
            XCTAssertEqual(v.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-12)
        }
    }

    func testStatisticsOfKnownDataset() throws {
        // Two 1×2 images: pixels (R,G,B) = (0,0,0),(255,255,255) and (255,0,0),(0,255,0).
        let a = DecodedImage(width: 2, height: 1, channels: 3, pixels: [0, 0, 0, 255, 255, 255])
        let b = DecodedImage(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0])
        let ds = try InMemoryDataset(images: [a, b], labels: [0, 1], classNames: ["x", "y"])
        let s = try DatasetStatistics.compute(dataset: ds, workers: 2)
        XCTAssertEqual(s.imageCount, 2)
        XCTAssertEqual(s.pixelCount, 4)
        XCTAssertEqual(s.mean, [0.5, 0.5, 0.25])
        for (x, y) in zip(s.std, [0.5, 0.5, 0.4330127] as [Float]) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        // R = (0,1,1,0), G = (0,1,0,1), B = (0,1,0,0): cov(R,G) = 0.25 - 0.25 = 0, cov(R,B) = 0.25 - 0.125.
        let expectedCov: [Float] = [0.25, 0, 0.125, 0, 0.25, 0.125, 0.125, 0.125, 0.1875]
        for (x, y) in zip(s.covariance, expectedCov) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertEqual(s.eigenvalues.reduce(0, +), 0.6875, accuracy: 1e-5) // trace
        XCTAssertTrue(s.eigenvalues[0] >= s.eigenvalues[1] && s.eigenvalues[1] >= s.eigenvalues[2])
        // Codable round trip.
        let json = try JSONEncoder().encode(s)
        XCTAssertEqual(try JSONDecoder().decode(DatasetStatistics.self, from: json), s)
        XCTAssertEqual(try DatasetStatistics.compute(dataset: ds, workers: 1), s)
        XCTAssertEqual(try DatasetStatistics.compute(images: [a, b]), s)
        XCTAssertEqual(try DatasetStatistics.compute(dataset: ds, maxImages: 1).mean, [0.5, 0.5, 0.5])
    }
}
