import Foundation
import Support
import Tensors
import Training
import XCTest
import SafeTensorsFormat

/// `LinearProbe` (logistic regression and squared-hinge SVMs on fixed features) and `LBFGS`.
final class LinearProbeTests: XCTestCase {
    /// Three well separated Gaussian blobs in 6 dimensions, `perClass` rows each.
    func blobs(perClass: Int, seed: UInt64) -> (x: [Float], y: [Int]) {
        var rng = Xoshiro256(seed: seed)
        var x: [Float] = [], y: [Int] = []
        for i in 0..<(3 * perClass) {
            let c = i % 3
            for j in 0..<6 { x.append((j == 2 * c ? 6 : 0) + Float(rng.nextUnit()) - 0.5) }
            y.append(c)
        }
        return (x, y)
    }

    func accuracy(_ probe: LinearProbe, _ x: [Float], _ y: [Int]) -> Double {
        Double(zip(probe.predictions(x), y).filter { $0 == $1 }.count) / Double(y.count)
    }

    func testSeparableDataIsClassifiedPerfectlyByEveryVariant() throws {
        let train = blobs(perClass: 40, seed: 1), test = blobs(perClass: 20, seed: 2)
        for loss in LinearProbe.Loss.allCases {
            for optimizer in LinearProbe.Optimizer.allCases {
                var o = LinearProbe.Options()
                o.loss = loss; o.optimizer = optimizer; o.iterations = optimizer == .gd ? 200 : 100
                let probe = try LinearProbe.train(features: train.x, labels: train.y, dimension: 6, classes: 3, options: o)
                XCTAssertEqual(accuracy(probe, train.x, train.y), 1, "\(loss) \(optimizer) training")
                XCTAssertEqual(accuracy(probe, test.x, test.y), 1, "\(loss) \(optimizer) test")
                let p = probe.probabilities(test.x)
                XCTAssertEqual(p[0..<3].reduce(0, +), 1, accuracy: 1e-5)
            }
        }
    }

    /// scikit-learn's LogisticRegression(C = 0.5) on 90 overlapping points
    /// (tools/make_linear_probe_fixture.py): the same optimum for λ = 1/(C·n).
    func testLogisticRegressionMatchesScikitLearn() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "linear_probe_sklearn", withExtension: "safetensors", subdirectory: "Fixtures"))
        let (t, meta) = try SafeTensors.read(contentsOf: url)
        let x = try XCTUnwrap(t["x"]).values, y = try XCTUnwrap(t["y"]).values.map { Int($0) }
        let coef = try XCTUnwrap(t["coef"]).values, intercept = try XCTUnwrap(t["intercept"]).values
        let c = try XCTUnwrap(Double(meta["C"] ?? ""))
        var o = LinearProbe.Options()
        o.weightDecay = 1 / (c * Double(y.count)); o.standardize = false; o.iterations = 1000
        let probe = try LinearProbe.train(features: x, labels: y, dimension: 4, classes: 3, options: o)
        for i in 0..<12 { XCTAssertEqual(probe.weights[i], Double(coef[i]), accuracy: 1e-4, "coef \(i)") }
        for i in 0..<3 { XCTAssertEqual(probe.bias[i], Double(intercept[i]), accuracy: 1e-4, "intercept \(i)") }
        // Gradient descent heads for the same optimum.
        o.optimizer = .gd; o.iterations = 3000; o.learningRate = 1
        let gd = try LinearProbe.train(features: x, labels: y, dimension: 4, classes: 3, options: o)
        for i in 0..<12 { XCTAssertEqual(gd.weights[i], Double(coef[i]), accuracy: 1e-2, "gd coef \(i)") }
        XCTAssertGreaterThanOrEqual(gd.objective, probe.objective - 1e-9)
    }

    /// Standardisation is undone by the weights: scaling a feature leaves the predictions alone.
    func testStandardisationMakesFeatureScalesIrrelevant() throws {
        let train = blobs(perClass: 30, seed: 3)
        let scaled = train.x.enumerated().map { $0.offset % 6 == 0 ? $0.element * 1000 : $0.element }
        let a = try LinearProbe.train(features: train.x, labels: train.y, dimension: 6, classes: 3)
        let b = try LinearProbe.train(features: scaled, labels: train.y, dimension: 6, classes: 3)
        XCTAssertEqual(a.predictions(train.x), b.predictions(scaled))
        for i in a.weights.indices { XCTAssertEqual(a.weights[i], b.weights[i], accuracy: 1e-6) }
    }

    func testLBFGSMinimisesAQuadratic() {
        // f(x) = Σ i·(x_i − i)², minimum 0 at x_i = i.
        let r = LBFGS(maxIterations: 100, gradientTolerance: 1e-10).minimize([Double](repeating: 0, count: 5)) { x in
            var v = 0.0, g = [Double](repeating: 0, count: x.count)
            for i in x.indices { let d = x[i] - Double(i); v += Double(i + 1) * d * d; g[i] = 2 * Double(i + 1) * d }
            return (v, g)
        }
        for i in 0..<5 { XCTAssertEqual(r.x[i], Double(i), accuracy: 1e-6) }
        XCTAssertLessThan(r.iterations, 30)
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try LinearProbe.train(features: [1, 2], labels: [0, 3], dimension: 1, classes: 2))
        XCTAssertThrowsError(try LinearProbe.train(features: [1, 2, 3], labels: [0, 1], dimension: 1, classes: 2))
        XCTAssertThrowsError(try LinearProbe.train(features: [1], labels: [0], dimension: 1, classes: 1))
    }

    func testFeatureSetRoundTripsThroughSafetensors() throws {
        var set = FeatureSet(features: [3, 4, 0, 0, 1, 0], labels: [7, 2, 9], dimension: 2,
                             classNames: (0..<10).map { "class \"\($0)\"/\($0)" }, metadata: ["layer": "classifier.4"])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try set.write(to: url)
        let back = try FeatureSet(contentsOf: url)
        XCTAssertEqual(back, set)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.entry("labels")?.dtype, .i64)
        XCTAssertEqual(file.entry("features")?.shape, [3, 2])
        set.l2Normalize()
        XCTAssertEqual(set.features, [0.6, 0.8, 0, 0, 1, 0])
    }

    func testFeatureFilesWithLabelsThatAreNoClassIndexAreErrors() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        // Labels stored as floats: NaN trapped in Int(_:); 2·10⁹ without class names made 2·10⁹ names.
        for (labels, names, expected) in [([Float.nan], [], "label nan"), ([2e9], [], "label 2e+09 is not a class index below 100000"),
                                          ([1.5], [], "label 1.5"), ([-1], [], "label -1.0"), ([3], ["a", "b"], "label 3.0 is not a class index below 2")] {
            var meta: [String: String] = [:]
            if !names.isEmpty { meta["class_names"] = String(decoding: try JSONEncoder().encode(names), as: UTF8.self) }
            try SafeTensors.write([("features", SafeTensor(shape: [1, 1], values: [0.5]), .f32), ("labels", SafeTensor(shape: [1], values: labels), .f32)],
                                  metadata: meta, to: url)
            XCTAssertThrowsError(try FeatureSet(contentsOf: url)) { e in
                XCTAssertTrue("\(e)".hasPrefix(url.path) && "\(e)".contains(expected), "\(e)")
            }
        }
    }

    func testCountsTestRowsThatRepeatTrainingRows() {
        let train = FeatureSet(features: [1, 2, 3, 4, 5, 6, 7, 8], labels: [0, 1, 1, 2], dimension: 2, classNames: ["a", "b", "c"])
        // Row 0 repeats training row 1, row 2 training row 3; row 1 has training row 0's values with another
        // label, row 3 differs from training row 2 in one value's last bit, row 4 is new.
        let test = FeatureSet(features: [3, 4, 1, 2, 7, 8, 5, 6.0000005, 0, 1], labels: [1, 1, 2, 1, 0], dimension: 2, classNames: ["a", "b", "c"])
        XCTAssertEqual(test.rowsRepeating(train), 2)
        XCTAssertEqual(train.rowsRepeating(train), 4)
        XCTAssertEqual(test.rowsRepeating(FeatureSet(features: [], labels: [], dimension: 2, classNames: [])), 0)
        // -0 and +0 compare equal as numbers but are not the same row.
        let zeros = FeatureSet(features: [0, 1], labels: [0], dimension: 2, classNames: ["a"])
        XCTAssertEqual(FeatureSet(features: [-0.0, 1], labels: [0], dimension: 2, classNames: ["a"]).rowsRepeating(zeros), 0)
    }
}
