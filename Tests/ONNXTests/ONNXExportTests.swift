import Foundation
import NN
import ONNX
import TestSupport
import VGG
import XCTest

/// Exports networks as ONNX and parses the bytes back with the generated code: op types in
/// order, initializer names and shapes, opset, input and output, metadata.
final class ONNXExportTests: XCTestCase {
    private func roundTrip(_ o: VGGOptions, options: ONNXExportOptions = ONNXExportOptions()) throws -> Onnx_ModelProto {
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: .kaiming, seed: 1)
        let data = try ONNXExporter.data(of: net, inputShape: [o.inputChannels, o.inputHeight, o.inputWidth], options: options)
        return try Onnx_ModelProto(serializedBytes: data)
    }

    private func small(_ c: VGGConfiguration, batchNorm: Bool = false, adaptivePool: Int? = nil, input: Int = 32) -> VGGOptions {
        VGGOptions(configuration: c, batchNorm: batchNorm, classes: 10, inputChannels: 3, inputHeight: input, inputWidth: input,
                   classifierWidth: 16, widthDivisor: 16, adaptivePool: adaptivePool)
    }

    func testVGGAIsConvReluPoolThenFlattenGemmsWithoutDropout() throws {
        var options = ONNXExportOptions()
        options.metadata = [("mean", "0.5,0.5,0.5"), ("class_names", "[\"a\"]")]
        let m = try roundTrip(small(.A), options: options)
        XCTAssertEqual(m.irVersion, ONNXExporter.irVersion)
        XCTAssertEqual(m.opsetImport.map(\.version), [17])
        XCTAssertEqual(m.opsetImport.first?.domain, "")
        XCTAssertEqual(m.metadataProps.map(\.key), ["mean", "class_names"])
        XCTAssertEqual(m.metadataProps.map(\.value), ["0.5,0.5,0.5", "[\"a\"]"])
        let ops = m.graph.node.map(\.opType)
        let features = ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "MaxPool",
                        "Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "MaxPool"]
        XCTAssertEqual(ops, features + ["Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"])
        XCTAssertEqual(m.graph.node.last?.output, ["logits"])
        XCTAssertEqual(m.graph.node.first?.input, ["input", "features.0.weight", "features.0.bias"])
        let shapes = Dictionary(uniqueKeysWithValues: m.graph.initializer.map { ($0.name, $0.dims) })
        XCTAssertEqual(shapes["features.0.weight"], [4, 3, 3, 3])
        XCTAssertEqual(shapes["classifier.0.weight"], [16, 32])
        XCTAssertEqual(shapes["classifier.6.bias"], [10])
        XCTAssertEqual(m.graph.initializer.count, 2 * 11)
        for t in m.graph.initializer { XCTAssertEqual(t.rawData.count, 4 * Int(t.dims.reduce(1, *)), t.name) }
        // The free batch dimension.
        XCTAssertEqual(m.graph.input.first?.type.tensorType.shape.dim.map(\.dimParam), ["batch", "", "", ""])
        XCTAssertEqual(m.graph.input.first?.type.tensorType.shape.dim.map(\.dimValue), [0, 3, 32, 32])
        XCTAssertEqual(m.graph.output.first?.type.tensorType.shape.dim.map(\.dimValue), [0, 10])
        let conv = try XCTUnwrap(m.graph.node.first)
        XCTAssertEqual(conv.attribute.first { $0.name == "pads" }?.ints, [1, 1, 1, 1])
        XCTAssertEqual(conv.attribute.first { $0.name == "kernel_shape" }?.ints, [3, 3])
    }

    func testWeightsAreStoredRawInPyTorchOrder() throws {
        let o = small(.A)
        let net = try VGGBuilder.build(o, on: TestBackends.primary, initializer: .kaiming, seed: 1)
        let m = try Onnx_ModelProto(serializedBytes: try ONNXExporter.data(of: net, inputShape: [3, 32, 32]))
        let stored = try XCTUnwrap(m.graph.initializer.first { $0.name == "features.0.weight" })
        let bytes = [UInt8](stored.rawData)
        let values = (0..<(bytes.count / 4)).map { i in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[4 * i + $1]) << (8 * $1) })
        }
        XCTAssertEqual(values, net.namedParameters.first { $0.name == "features.0.weight" }?.parameter.value.toArray())
    }

    func testLRNBatchNormSoftmaxAndOneByOneConvolutions() throws {
        var options = ONNXExportOptions()
        options.softmax = true
        let lrn = try roundTrip(small(.ALRN), options: options)
        XCTAssertEqual(Array(lrn.graph.node.map(\.opType).prefix(4)), ["Conv", "Relu", "LRN", "MaxPool"])
        let l = try XCTUnwrap(lrn.graph.node.first { $0.opType == "LRN" })
        XCTAssertEqual(l.attribute.first { $0.name == "size" }?.i, 5)
        XCTAssertEqual(l.attribute.first { $0.name == "bias" }?.f, 2)
        XCTAssertEqual(l.attribute.first { $0.name == "alpha" }?.f, 1e-4)
        XCTAssertEqual(lrn.graph.node.last?.opType, "Softmax")
        XCTAssertEqual(lrn.graph.node.last?.output, ["probabilities"])

        let c = try roundTrip(small(.C))
        XCTAssertTrue(c.graph.initializer.contains { $0.dims.count == 4 && $0.dims[2] == 1 && $0.dims[3] == 1 }, "C's conv1 layers")

        let d = try roundTrip(small(.D, batchNorm: true))
        let bn = d.graph.node.filter { $0.opType == "BatchNormalization" }
        XCTAssertEqual(bn.count, 13)
        XCTAssertEqual(bn.first?.input, ["features.0", "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var"])
        XCTAssertEqual(bn.first?.attribute.first { $0.name == "epsilon" }?.f, 1e-5)
    }

    func testAdaptivePoolingAsAveragePoolGlobalPoolOrPoolingMatrix() throws {
        // 64-pixel input: a 2×2 final map; pooled to 1×1 (global), to 2×2 from 4×4 at 128 pixels
        // (AveragePool 2×2), to 7×7 from 1×1 (a pooling matrix that repeats the value).
        XCTAssertTrue(try roundTrip(small(.A, adaptivePool: 1, input: 64)).graph.node.contains { $0.opType == "GlobalAveragePool" })
        let avg = try roundTrip(small(.A, adaptivePool: 2, input: 128))
        let pool = try XCTUnwrap(avg.graph.node.first { $0.opType == "AveragePool" })
        XCTAssertEqual(pool.attribute.first { $0.name == "kernel_shape" }?.ints, [2, 2])
        let matrix = try roundTrip(small(.A, adaptivePool: 7, input: 32))
        XCTAssertEqual(matrix.graph.node.map(\.opType).suffix(9), ["Reshape", "MatMul", "Reshape", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"])
        XCTAssertEqual(matrix.graph.initializer.first { $0.name == "avgpool.pooling" }?.dims, [1, 49])
    }

    func testOpsetsBelow17AreRefused() throws {
        var options = ONNXExportOptions()
        options.opset = 13
        XCTAssertThrowsError(try roundTrip(small(.A), options: options))
    }
}
