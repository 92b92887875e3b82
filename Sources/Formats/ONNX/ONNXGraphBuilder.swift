import Foundation

/// Collects the nodes and initializers of an ONNX graph, naming every intermediate value.
struct ONNXGraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []

    /// A float32 initializer `name` of `shape`, its values stored raw (little-endian).
    mutating func constant(_ name: String, shape: [Int], values: [Float]) -> String {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = Self.littleEndianBytes(values)
        initializers.append(t)
        return name
    }

    /// The IEEE 754 bits of `values`, little-endian, as ONNX stores raw float32 data.
    static func littleEndianBytes(_ values: [Float]) -> Data {
        var bytes = [UInt8](repeating: 0, count: 4 * values.count)
        for (i, v) in values.enumerated() {
            let bits = v.bitPattern
            bytes[4 * i] = UInt8(truncatingIfNeeded: bits)
            bytes[4 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            bytes[4 * i + 2] = UInt8(truncatingIfNeeded: bits >> 16)
            bytes[4 * i + 3] = UInt8(truncatingIfNeeded: bits >> 24)
        }
        return Data(bytes)
    }

    /// An int64 initializer (shapes for Reshape).
    mutating func constant(_ name: String, int64 values: [Int64]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.int64Data = values
        initializers.append(t)
        return name
    }

    /// Adds a node of `op` reading `inputs`, writing `output`; returns the output's name.
    @discardableResult
    mutating func node(_ op: String, name: String, inputs: [String], output: String, attributes: [Onnx_AttributeProto] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = [output]
        n.attribute = attributes
        nodes.append(n)
        return output
    }

    static func attribute(_ name: String, ints: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name; a.type = .ints; a.ints = ints.map(Int64.init)
        return a
    }

    static func attribute(_ name: String, int: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name; a.type = .int; a.i = Int64(int)
        return a
    }

    static func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name; a.type = .float; a.f = float
        return a
    }
}
