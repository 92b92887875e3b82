import XCTest
import CPUBackend
import ReferenceBackend
import Tensors

/// Convolutions of the `cpu` backend (direct, native Winograd, oneDNN's Winograd where the
/// machine has it) against the reference: forward, dweight, dbias and dx, on kernels 3 and
/// 1, strides 1 and 2, paddings 0, 1 and 2, odd channel counts and spatial sizes, batches
/// 1 to 3, with and without `propagateDown`.
final class ConvolutionConformanceTests: XCTestCase {
    static let geometries: [ConvolutionGeometry] = [
        ConvolutionGeometry(batch: 3, inChannels: 5, height: 7, width: 5, outChannels: 13, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
        ConvolutionGeometry(batch: 1, inChannels: 3, height: 7, width: 5, outChannels: 8, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
        ConvolutionGeometry(batch: 2, inChannels: 13, height: 5, width: 7, outChannels: 5, kernelH: 3, kernelW: 3, stride: 1, padding: 0),
        ConvolutionGeometry(batch: 2, inChannels: 5, height: 7, width: 5, outChannels: 3, kernelH: 3, kernelW: 3, stride: 1, padding: 2),
        ConvolutionGeometry(batch: 1, inChannels: 3, height: 7, width: 5, outChannels: 8, kernelH: 3, kernelW: 3, stride: 2, padding: 1),
        ConvolutionGeometry(batch: 3, inChannels: 4, height: 6, width: 6, outChannels: 6, kernelH: 3, kernelW: 3, stride: 2, padding: 0),
        ConvolutionGeometry(batch: 2, inChannels: 13, height: 5, width: 7, outChannels: 5, kernelH: 1, kernelW: 1, stride: 1, padding: 0),
        ConvolutionGeometry(batch: 3, inChannels: 4, height: 7, width: 5, outChannels: 6, kernelH: 1, kernelW: 1, stride: 2, padding: 0),
        ConvolutionGeometry(batch: 1, inChannels: 5, height: 7, width: 5, outChannels: 3, kernelH: 1, kernelW: 1, stride: 1, padding: 1),
        // Shapes Winograd is made for (channels multiples of 16, several 4×4 tiles) and a
        // VGG layer of the width-8 network.
        ConvolutionGeometry(batch: 2, inChannels: 16, height: 8, width: 8, outChannels: 16, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
        ConvolutionGeometry(batch: 2, inChannels: 32, height: 9, width: 11, outChannels: 48, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
        ConvolutionGeometry(batch: 3, inChannels: 64, height: 4, width: 4, outChannels: 64, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
    ]

    func testEveryConfigurationMatchesTheReference() throws {
        var data = TestData(seed: 1)
        for (name, cpu) in try Conformance.cpuConfigurations() {
            for g in Self.geometries {
                for propagateDown in [true, false] {
                    try compare(g, propagateDown: propagateDown, cpu: cpu, configuration: name, data: &data)
                }
            }
        }
    }

    /// The Winograd configurations must actually run Winograd on the 3×3 stride-1 geometries
    /// (else the test above would test direct convolutions three times). oneDNN's has no
    /// Winograd kernel for padding 2 and falls back to a direct one there.
    func testWinogradConfigurationsUseWinograd() throws {
        for (name, cpu) in try Conformance.cpuConfigurations() where name != "direct" {
            for g in Self.geometries where g.kernelH == 3 && g.stride == 1 {
                let op = try cpu.makeConvolution(g, propagateDown: true)
                if name == "winograd native" || g.padding <= 1 { XCTAssertTrue(op.usesWinograd, "\(name) \(g): \(op.implementations)") }
                if Conformance.verbose { print("conformance: \(name) \(g): \(op.implementations)") }
            }
        }
    }

    private func compare(_ g: ConvolutionGeometry, propagateDown: Bool, cpu: CPUBackend, configuration: String,
                         data: inout TestData) throws {
        let what = "\(configuration) \(g) propagateDown \(propagateDown)"
        let x = data.tensor([g.batch, g.inChannels, g.height, g.width])
        let weight = data.tensor([g.outChannels, g.inChannels, g.kernelH, g.kernelW], layout: .nchw,
                                 scale: 1 / Float(g.inChannels * g.kernelH * g.kernelW).squareRoot())
        let bias = data.tensor([g.outChannels], scale: 0.1)
        let dy = data.tensor([g.batch, g.outChannels, g.outHeight, g.outWidth])

        var results: [[[Float]]] = []
        for backend in [cpu as any Backend, Conformance.reference] {
            let op = try backend.makeConvolution(g, propagateDown: propagateDown)
            XCTAssertEqual(op.geometry, g)
            XCTAssertEqual(op.propagateDown, propagateDown)
            let y = filled([g.batch, g.outChannels, g.outHeight, g.outWidth])
            op.forward(x: x, weight: weight, bias: bias, y: y)
            // Outputs start as NaN (overwritten or the comparison fails); dx without
            // propagateDown must be left alone.
            let dx = filled(x.shape, with: propagateDown ? .nan : 7)
            let dweight = filled(weight.shape, layout: .nchw), dbias = filled(bias.shape)
            op.backward(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
            results.append([y.toArray(), dweight.toArray(), dbias.toArray(), dx.toArray()])
        }
        assertSameParameterisedResults(results, propagateDown: propagateDown, what)
        // Also the backward with no dx tensor at all.
        if !propagateDown {
            let op = try Conformance.reference.makeConvolution(g, propagateDown: false)
            let dweight = filled(weight.shape, layout: .nchw), dbias = filled(bias.shape)
            op.backward(x: x, weight: weight, dy: dy, dx: nil, dweight: dweight, dbias: dbias)
            assertIdentical(dweight.toArray(), results[1][1], "reference dweight without dx, \(what)")
        }
    }
}
