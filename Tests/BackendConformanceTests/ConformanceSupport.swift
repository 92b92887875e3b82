import Foundation
import XCTest
import CPUBackend
import ReferenceBackend
import Support
import Tensors

/// What every conformance test shares: the two backends, seeded random data, NHWC tensors
/// in host memory (both backends read and write `HostMemory.shared`, so one tensor can be
/// handed to either) and the comparisons.
///
/// The tolerance of a comparison is relative to the reference output's largest magnitude:
/// `|cpu − reference| ≤ tolerance · max|reference|` for every element, with tolerance
/// 1e-4 unless a test says otherwise. The reference sums in `Double`; the `cpu` backend
/// sums in `Float` in whatever order its kernels choose, so its error grows like a few ulps
/// of the largest partial sums. 1e-4 leaves room for that and still catches any wrong term
/// (a missing or misplaced product, a wrong window, a wrong scale) by orders of magnitude.
/// Set `VGG_CONFORMANCE_VERBOSE=1` to print every comparison's measured relative error.
enum Conformance {
    static let tolerance: Float = 1e-4

    static let reference = ReferenceBackend(threads: 2)

    /// The `cpu` backend with direct convolutions.
    static func cpu() throws -> CPUBackend {
        try CPUBackend(configuration: CPUBackendConfiguration(convolutionAlgorithm: .direct))
    }

    /// Every CPU configuration that computes convolutions differently: direct, native
    /// Winograd, and oneDNN's Winograd where this machine has it.
    static func cpuConfigurations() throws -> [(name: String, backend: CPUBackend)] {
        var configurations = [("direct", try cpu())]
        for winograd in [WinogradImplementation.native, .onednn] where winograd.isAvailable {
            configurations.append(("winograd \(winograd.rawValue)",
                                   try CPUBackend(configuration: CPUBackendConfiguration(convolutionAlgorithm: .winograd,
                                                                                          winograd: winograd))))
        }
        return configurations
    }

    static var verbose: Bool { ProcessInfo.processInfo.environment["VGG_CONFORMANCE_VERBOSE"] == "1" }
}

/// Seeded test data.
struct TestData {
    var rng: Xoshiro256

    init(seed: UInt64) { rng = Xoshiro256(seed: seed) }

    /// `count` values `mean + scale · N(0, 1)`.
    mutating func gaussian(_ count: Int, mean: Float = 0, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in mean + scale * Float(rng.nextGaussian()) }
    }

    /// `count` distinct values (a shuffled ramp 0, 0.25, 0.5, …, shifted to straddle zero):
    /// no ties, and neighbours differ by far more than any rounding.
    mutating func distinct(_ count: Int) -> [Float] {
        var values = (0..<count).map { Float($0) * 0.25 - Float(count) * 0.125 }
        for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, rng.nextInt(below: i + 1)) }
        return values
    }

    /// A tensor of Gaussian values in host memory.
    mutating func tensor(_ shape: [Int], layout: MemoryLayout4D = .nhwc, mean: Float = 0, scale: Float = 1) -> Tensor {
        Tensor(gaussian(shape.reduce(1, *), mean: mean, scale: scale), shape: shape, layout: layout, on: HostMemory.shared)
    }
}

/// A tensor in host memory with every element `value` (NaN by default: an op that should
/// overwrite its output and does not, or accumulates into it, shows).
func filled(_ shape: [Int], layout: MemoryLayout4D = .nhwc, with value: Float = .nan) -> Tensor {
    let t = Tensor(shape: shape, layout: layout, on: HostMemory.shared)
    t.fill(value)
    return t
}

/// A copy of `t` (same shape and layout) in host memory.
func copy(of t: Tensor) -> Tensor {
    Tensor(t.toArray(), shape: t.shape, layout: t.layout, on: HostMemory.shared)
}

/// The largest |actual − expected| divided by the largest |expected| or `scale`, whichever
/// is larger (by 1 when both are 0).
func relativeError(_ actual: [Float], _ expected: [Float], scale minimumScale: Float = 0) -> Float {
    precondition(actual.count == expected.count)
    var scale = minimumScale, error: Float = 0
    for (a, e) in zip(actual, expected) {
        scale = max(scale, abs(e))
        error = (a - e).isNaN ? .nan : max(error, abs(a - e))
    }
    if error.isNaN { return .nan }
    return scale > 0 ? error / scale : error
}

/// Asserts `|actual − expected| ≤ tolerance · max(max|expected|, scale)` element by
/// element, and that NaN appears nowhere (neither may hold one here). `scale` is for
/// outputs that are differences of much larger terms (the size of those terms).
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = Conformance.tolerance, scale: Float = 0,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        return XCTFail("\(what): \(actual.count) values against \(expected.count)", file: file, line: line)
    }
    XCTAssertFalse(expected.contains { $0.isNaN }, "\(what): the reference has NaN", file: file, line: line)
    let error = relativeError(actual, expected, scale: scale)
    if Conformance.verbose { print("conformance: \(what): relative error \(error)") }
    guard !(error <= tolerance) else { return }
    var worst = 0, worstError: Float = -1
    for i in actual.indices {
        let e = abs(actual[i] - expected[i])
        if e.isNaN || e > worstError { worst = i; worstError = e.isNaN ? .infinity : e }
        if e.isNaN { break }
    }
    XCTFail("\(what): relative error \(error) > \(tolerance); worst at \(worst): \(actual[worst]) against \(expected[worst])",
            file: file, line: line)
}

/// Asserts two tensors hold the same bits (masks, maxima, copies).
func assertIdentical(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        return XCTFail("\(what): \(actual.count) values against \(expected.count)", file: file, line: line)
    }
    if let i = actual.indices.first(where: { actual[$0].bitPattern != expected[$0].bitPattern }) {
        let count = actual.indices.filter { actual[$0].bitPattern != expected[$0].bitPattern }.count
        XCTFail("\(what): \(count) of \(actual.count) differ; first at \(i): \(actual[i]) against \(expected[i])",
                file: file, line: line)
    }
}

/// Compares the cpu (first) and reference (second) results of a parameterised op, each
/// [forward output, dweight, dbias, dx]; without propagateDown, dx must have been left at 7.
func assertSameParameterisedResults(_ results: [[[Float]]], propagateDown: Bool, _ what: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
    let (c, r) = (results[0], results[1])
    assertClose(c[0], r[0], "forward, \(what)", file: file, line: line)
    assertClose(c[1], r[1], "dweight, \(what)", file: file, line: line)
    assertClose(c[2], r[2], "dbias, \(what)", file: file, line: line)
    if propagateDown {
        assertClose(c[3], r[3], "dx, \(what)", file: file, line: line)
    } else {
        XCTAssertTrue(c[3].allSatisfy { $0 == 7 } && r[3].allSatisfy { $0 == 7 }, "dx written without propagateDown, \(what)", file: file, line: line)
    }
}
