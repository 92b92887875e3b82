import CPUBackend
import Tensors
import XCTest

/// The cpu backend's settings: read from the environment (unknown values are errors, not
/// silently replaced), held per backend (two backends with other settings plan other kernels).
final class CPUBackendConfigurationTests: XCTestCase {
    func testEnvironmentValuesAreParsedAndBadOnesRefused() throws {
        let c = try CPUBackendConfiguration.fromEnvironment(["VGG_CONV_ALGORITHM": "direct", "VGG_GEMM": "openblas",
                                                            "VGG_THREADS": "3", "VGG_WINOGRAD_SCRATCH_MB": "8"])
        XCTAssertEqual(c.convolutionAlgorithm, .direct)
        XCTAssertEqual(c.gemm, .openblas)
        XCTAssertEqual(c.threads, 3)
        XCTAssertEqual(c.winogradScratchBytes, 8 << 20)
        XCTAssertEqual(try CPUBackendConfiguration.fromEnvironment([:]), CPUBackendConfiguration())
        XCTAssertThrowsError(try CPUBackendConfiguration.fromEnvironment(["VGG_GEMM": "mkl"])) { e in
            XCTAssertTrue("\(e)".contains("VGG_GEMM=mkl") && "\(e)".contains("onednn, openblas"), "\(e)")
        }
        XCTAssertThrowsError(try CPUBackendConfiguration.fromEnvironment(["VGG_THREADS": "0"]))
    }

    func testSettingsBelongToEachBackend() throws {
        let g = ConvolutionGeometry(batch: 2, inChannels: 32, height: 8, width: 8, outChannels: 32, kernelH: 3, kernelW: 3, padding: 1)
        let direct = try CPUBackend(configuration: CPUBackendConfiguration(convolutionAlgorithm: .direct))
        XCTAssertFalse(try direct.makeConvolution(g, propagateDown: true).usesWinograd)
        for implementation in WinogradImplementation.allCases where implementation.isAvailable {
            let wino = try CPUBackend(configuration: CPUBackendConfiguration(convolutionAlgorithm: .winograd, winograd: implementation))
            let op = try wino.makeConvolution(g, propagateDown: true)
            XCTAssertTrue(op.usesWinograd, "\(implementation): \(op.implementations)")
            XCTAssertEqual(op.implementations.allSatisfy { $0.hasPrefix("native:") }, implementation == .native, "\(op.implementations)")
            XCTAssertTrue(wino.settingsSummary.contains("Winograd \(implementation.rawValue)"), wino.settingsSummary)
        }
        // Planning with the first backend again still gives its own choice.
        XCTAssertFalse(try direct.makeConvolution(g, propagateDown: true).usesWinograd)
    }

    /// oneDNN 2.6 sums another window than PyTorch for even LRN sizes and crashes for sizes
    /// 1 and 2: the backend refuses them with a clear error.
    func testEvenLRNSizesAreRefused() throws {
        let backend = try CPUBackend()
        for size in [1, 2, 4, 6] {
            XCTAssertThrowsError(try backend.makeLocalResponseNorm(shape: [1, 8, 2, 2], LocalResponseNormParameters(size: size))) { e in
                XCTAssertTrue("\(e)".contains("size \(size)") && "\(e)".contains("odd"), "\(e)")
            }
        }
        XCTAssertNoThrow(try backend.makeLocalResponseNorm(shape: [1, 8, 2, 2], LocalResponseNormParameters(size: 5)))
    }
}
