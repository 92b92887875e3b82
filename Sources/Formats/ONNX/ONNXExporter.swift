import Foundation
import NN
import SwiftProtobuf

/// Writes the inference network of a `Sequential` as an ONNX model: Conv, BatchNormalization,
/// Relu, LRN, MaxPool, the adaptive average pooling (AveragePool when the input divides into
/// the output, GlobalAveragePool for 1×1, else an exact pooling matrix product), Flatten and
/// Gemm; dropout is left out (the identity at inference), a Softmax optionally appended.
///
/// The graph takes float32 `[batch, C, H, W]` in NCHW order (the batch a free dimension) and
/// gives `[batch, classes]`. The weights are the network's own, stored raw; every node and
/// initializer is named after the layer (`features.0`, `features.0.weight`), as torchvision names them.
public enum ONNXExporter {
    /// The IR version written: 8, the one of opset 17 (onnx 1.12), read by every runtime since.
    public static let irVersion: Int64 = 8

    /// The ONNX model of `network` for inputs of `inputShape` `[C, H, W]`.
    public static func model(of network: Sequential, inputShape: [Int], options: ONNXExportOptions = ONNXExportOptions()) throws -> Onnx_ModelProto {
        guard inputShape.count == 3 else { throw ONNXExportError("the input shape must be [C, H, W], got \(inputShape)") }
        guard options.opset >= 17 else { throw ONNXExportError("opset \(options.opset) is not supported: 17 or later") }
        let shapes: [[Int]]
        do { shapes = try network.shapes(for: [1] + inputShape) } catch { throw ONNXExportError("the network cannot take \(inputShape): \(error)") }
        var g = ONNXGraphBuilder()
        var current = options.inputName
        var currentShape = [1] + inputShape
        for (index, (name, layer)) in network.layers.enumerated() {
            let out = name
            switch layer {
            case let conv as Conv2d:
                let w = g.constant("\(name).weight", shape: conv.weight.shape, values: conv.weight.value.toArray())
                let b = g.constant("\(name).bias", shape: conv.bias.shape, values: conv.bias.value.toArray())
                current = g.node("Conv", name: name, inputs: [current, w, b], output: out, attributes: [
                    ONNXGraphBuilder.attribute("kernel_shape", ints: [conv.kernelSize, conv.kernelSize]),
                    ONNXGraphBuilder.attribute("strides", ints: [conv.stride, conv.stride]),
                    ONNXGraphBuilder.attribute("pads", ints: Array(repeating: conv.padding, count: 4)),
                ])
            case let bn as BatchNorm2d:
                let inputs = [current] + [bn.weight, bn.bias, bn.runningMean, bn.runningVariance].map {
                    g.constant("\(name).\($0.name)", shape: $0.shape, values: $0.value.toArray())
                }
                current = g.node("BatchNormalization", name: name, inputs: inputs, output: out,
                                 attributes: [ONNXGraphBuilder.attribute("epsilon", float: bn.epsilon)])
            case is ReLU:
                current = g.node("Relu", name: name, inputs: [current], output: out)
            case let lrn as LocalResponseNorm:
                current = g.node("LRN", name: name, inputs: [current], output: out, attributes: [
                    ONNXGraphBuilder.attribute("size", int: lrn.size), ONNXGraphBuilder.attribute("alpha", float: lrn.alpha),
                    ONNXGraphBuilder.attribute("beta", float: lrn.beta), ONNXGraphBuilder.attribute("bias", float: lrn.k),
                ])
            case let pool as MaxPool2d:
                current = g.node("MaxPool", name: name, inputs: [current], output: out, attributes: [
                    ONNXGraphBuilder.attribute("kernel_shape", ints: [pool.kernelSize, pool.kernelSize]),
                    ONNXGraphBuilder.attribute("strides", ints: [pool.stride, pool.stride]),
                    ONNXGraphBuilder.attribute("pads", ints: Array(repeating: pool.padding, count: 4)),
                ])
            case let pool as AdaptiveAvgPool2d:
                current = adaptivePool(pool, name: name, input: current, shape: currentShape, graph: &g)
            case is Flatten:
                current = g.node("Flatten", name: name, inputs: [current], output: out,
                                 attributes: [ONNXGraphBuilder.attribute("axis", int: 1)])
            case let fc as Linear:
                let w = g.constant("\(name).weight", shape: fc.weight.shape, values: fc.weight.value.toArray())
                let b = g.constant("\(name).bias", shape: fc.bias.shape, values: fc.bias.value.toArray())
                current = g.node("Gemm", name: name, inputs: [current, w, b], output: out,
                                 attributes: [ONNXGraphBuilder.attribute("transB", int: 1)])
            case is Dropout:
                break  // the identity at inference
            default:
                throw ONNXExportError("\(name) (\(layer.kind)) has no ONNX export")
            }
            currentShape = shapes[index]
        }
        if options.softmax {
            current = g.node("Softmax", name: "softmax", inputs: [current], output: "softmax",
                             attributes: [ONNXGraphBuilder.attribute("axis", int: 1)])
        }
        // The graph's output under its own name: the last node writes it.
        let outputName = options.outputName ?? (options.softmax ? "probabilities" : "logits")
        guard var last = g.nodes.popLast() else { throw ONNXExportError("the network has no layer to export") }
        last.output = [outputName]
        g.nodes.append(last)

        var graph = Onnx_GraphProto()
        graph.name = options.graphName
        graph.node = g.nodes
        graph.initializer = g.initializers
        graph.input = [valueInfo(options.inputName, dimensions: ["batch"] + inputShape.map { "\($0)" })]
        graph.output = [valueInfo(outputName, dimensions: ["batch", "\(currentShape[1])"])]

        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = options.producerName
        model.producerVersion = options.producerVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(options.opset)
        model.opsetImport = [opset]
        model.graph = graph
        model.metadataProps = options.metadata.map {
            var p = Onnx_StringStringEntryProto()
            p.key = $0.key; p.value = $0.value
            return p
        }
        return model
    }

    /// The serialized model (the bytes of a `.onnx` file).
    public static func data(of network: Sequential, inputShape: [Int], options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        let m = try model(of: network, inputShape: inputShape, options: options)
        do { return try m.serializedData() } catch { throw ONNXExportError("cannot encode the model: \(error)") }
    }

    /// The adaptive average pooling of `pool` on an input of `shape` `[N, C, H, W]`.
    private static func adaptivePool(_ pool: AdaptiveAvgPool2d, name: String, input: String, shape: [Int], graph g: inout ONNXGraphBuilder) -> String {
        let (c, h, w) = (shape[1], shape[2], shape[3])
        let (oh, ow) = (pool.outHeight, pool.outWidth)
        if oh == 1 && ow == 1 {
            return g.node("GlobalAveragePool", name: name, inputs: [input], output: name)
        }
        if h % oh == 0 && w % ow == 0 {  // torchvision's export: equal, disjoint bins
            let k = [h / oh, w / ow]
            return g.node("AveragePool", name: name, inputs: [input], output: name, attributes: [
                ONNXGraphBuilder.attribute("kernel_shape", ints: k), ONNXGraphBuilder.attribute("strides", ints: k),
            ])
        }
        // [N, C, H, W] → [N, C, H·W] · [H·W, oh·ow] → [N, C, oh, ow]
        let flat = g.node("Reshape", name: "\(name).flatten", inputs: [input, g.constant("\(name).in_shape", int64: [0, Int64(c), Int64(h * w)])],
                          output: "\(name).flat")
        let matrix = g.constant("\(name).pooling", shape: [h * w, oh * ow],
                                values: AdaptivePoolingMatrix.values(inHeight: h, inWidth: w, outHeight: oh, outWidth: ow))
        let pooled = g.node("MatMul", name: "\(name).pool", inputs: [flat, matrix], output: "\(name).pooled")
        return g.node("Reshape", name: name, inputs: [pooled, g.constant("\(name).out_shape", int64: [0, Int64(c), Int64(oh), Int64(ow)])],
                      output: name)
    }

    private static func valueInfo(_ name: String, dimensions: [String]) -> Onnx_ValueInfoProto {
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.shape.dim = dimensions.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let v = Int64(d) { dim.dimValue = v } else { dim.dimParam = d }
            return dim
        }
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType = t
        return v
    }
}
