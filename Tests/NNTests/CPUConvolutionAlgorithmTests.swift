import CPUBackend
import Foundation
import NN
import Tensors
import XCTest
import SafeTensorsFormat

/// The cpu backend's convolution algorithms through the NN layer: the PyTorch reference of a
/// 16→32-channel 3×3 convolution through direct, Winograd and automatic with both Winograd
/// implementations (a Winograd layer must really be Winograd, not a silent fallback), the
/// choices of `automatic`, and finite differences through forced Winograd layers.
final class CPUConvolutionAlgorithmTests: XCTestCase {
    func backend(_ algorithm: ConvolutionAlgorithm, _ winograd: WinogradImplementation) throws -> CPUBackend {
        try CPUBackend(configuration: CPUBackendConfiguration(convolutionAlgorithm: algorithm, winograd: winograd))
    }

    func testEveryAlgorithmMatchesPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "conv3x3_wide", withExtension: "safetensors", subdirectory: "Fixtures"))
        let f = try SafeTensors.read(contentsOf: url).tensors
        let x = f["x"]!, dy = f["dy"]!
        for implementation in WinogradImplementation.allCases where implementation.isAvailable {
            for algorithm in [ConvolutionAlgorithm.direct, .winograd, .automatic] {
                let b = try backend(algorithm, implementation)
                let conv = Conv2d(16, 32, kernelSize: 3, padding: 1)
                try conv.prepare(inputShape: x.shape, propagateDown: true, on: b)
                conv.weight.value.copy(from: f["weight"]!.values)
                conv.bias.value.copy(from: f["bias"]!.values)
                let y = conv.forward(Tensor(HostLayout.nhwc(fromNCHW: x.values, shape: x.shape), shape: x.shape, layout: .nhwc, on: b), .inference)
                let dx = conv.backward(Tensor(HostLayout.nhwc(fromNCHW: dy.values, shape: dy.shape), shape: dy.shape, layout: .nhwc, on: b))!
                let what = "\(algorithm), \(implementation)"
                assertClose(y.nchwArray(), f["y"]!.values, "y " + what)
                assertClose(dx.nchwArray(), f["dx"]!.values, "dx " + what)
                assertClose(conv.weight.gradient.toArray(), f["dweight"]!.values, "dweight " + what)
                assertClose(conv.bias.gradient.toArray(), f["dbias"]!.values, "dbias " + what)
                // The native kernels pay off from 32 channels in and out: automatic keeps 16→32 direct.
                let expected = algorithm == .winograd || (algorithm == .automatic && implementation == .onednn)
                let op = try XCTUnwrap(conv.plannedOp)
                XCTAssertEqual(op.usesWinograd, expected, what)
                XCTAssertEqual(op.implementations.allSatisfy { $0.contains("wino") }, expected, "\(op.implementations)")
            }
        }
    }

    func testAutomaticKeepsDirectWhereWinogradDoesNotPayOrApply() throws {
        for implementation in WinogradImplementation.allCases where implementation.isAvailable {
            let b = try backend(.automatic, implementation)
            let narrow = Conv2d(8, 16, kernelSize: 3, padding: 1)
            try narrow.prepare(inputShape: [2, 8, 8, 8], propagateDown: true, on: b)
            XCTAssertEqual(narrow.plannedOp?.usesWinograd, false)
            let small = Conv2d(32, 32, kernelSize: 3, padding: 1)
            try small.prepare(inputShape: [2, 32, 2, 2], propagateDown: true, on: b)
            XCTAssertEqual(small.plannedOp?.usesWinograd, implementation == .native, "2×2 output, \(implementation)")
            let strided = Conv2d(16, 16, kernelSize: 3, stride: 2, padding: 1)
            try strided.prepare(inputShape: [2, 16, 8, 8], propagateDown: true, on: try backend(.winograd, implementation))
            XCTAssertEqual(strided.plannedOp?.usesWinograd, false)
        }
    }

    func testFiniteDifferencesThroughWinogradLayers() throws {
        for implementation in WinogradImplementation.allCases where implementation.isAvailable {
            let b = try backend(.winograd, implementation)
            // 6×5 outputs: F(4×4,3×3) with partial tiles; 2×3 outputs: F(2×2,3×3) (native).
            for (h, w) in [(6, 5), (2, 3)] {
                let conv = Conv2d(16, 16, kernelSize: 3, padding: 1)
                try conv.prepare(inputShape: [2, 16, h, w], propagateDown: true, on: b)
                conv.weight.value.copy(from: randomValues(conv.weight.count, seed: 11, scale: 0.3))
                conv.bias.value.copy(from: randomValues(16, seed: 13, scale: 0.3))
                try GradientChecker().check(conv, inputShape: [2, 16, h, w], input: randomValues(32 * h * w, seed: 12), on: b)
                // (oneDNN's kernels may turn outputs below 4×4 down: then the check ran direct.)
                if implementation == .native || h >= 4 { XCTAssertEqual(conv.plannedOp?.usesWinograd, true, "\(implementation)") }
            }
        }
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(b.map { abs($0) }.max() ?? 0, 1e-3)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(what): max abs diff \(worst) (scale \(scale))", file: file, line: line)
    }
}
