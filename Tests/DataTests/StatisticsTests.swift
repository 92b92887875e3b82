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

    /// Statistics of a large training set come from images drawn uniformly at random over the
    /// whole set (a class-sorted folder is sampled across its classes), reproducibly per seed.
    func testStatisticsSampleTheWholeDatasetAtRandom() throws {
        let picked = DatasetStatistics.sampleIndices(count: 10_000, size: 500, seed: 7)
        XCTAssertEqual(picked.count, 500)
        XCTAssertEqual(Set(picked).count, 500)
        XCTAssertEqual(picked, picked.sorted())
        XCTAssertEqual(picked, DatasetStatistics.sampleIndices(count: 10_000, size: 500, seed: 7))
        XCTAssertNotEqual(picked, DatasetStatistics.sampleIndices(count: 10_000, size: 500, seed: 8))
        // Every tenth of the range is represented (500 draws: about 50 in each).
        for decile in 0..<10 {
            let n = picked.filter { $0 / 1000 == decile }.count
            XCTAssertTrue((25...75).contains(n), "\(n) indices in decile \(decile)")
        }
        XCTAssertEqual(DatasetStatistics.sampleIndices(count: 5, size: 9, seed: 1), [0, 1, 2, 3, 4])

        // Class-sorted data: 40 black images of class 0, then 40 white of class 1; the first
        // 20 alone would say the mean is 0, a random 20 sees both classes.
        let black = DecodedImage(width: 1, height: 1, channels: 1, pixels: [0])
        let white = DecodedImage(width: 1, height: 1, channels: 1, pixels: [255])
        let ds = try InMemoryDataset(images: Array(repeating: black, count: 40) + Array(repeating: white, count: 40),
                                     labels: Array(repeating: 0, count: 40) + Array(repeating: 1, count: 40), classNames: ["b", "w"])
        let s = try DatasetStatistics.compute(dataset: ds, sample: 20, seed: 3, workers: 2)
        XCTAssertEqual(s.imageCount, 20)
        let whites = DatasetStatistics.sampleIndices(count: 80, size: 20, seed: 3).filter { $0 >= 40 }.count
        XCTAssertEqual(s.mean[0], Float(whites) / 20, accuracy: 1e-6)
        XCTAssertTrue((1...19).contains(whites))
        XCTAssertEqual(try DatasetStatistics.compute(dataset: ds, sample: 100, seed: 3).imageCount, 80)
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
