import NN
import Support

/// Per-layer output shapes, parameter counts and forward FLOPs of a network.
public struct NetworkSummary {
    /// One layer of the summary: its torchvision name (`features.0`), its kind (`conv3-64`),
    /// the output shape for one image (without the batch dimension), its parameter count and
    /// its forward FLOPs (2 × multiply-adds) for one image.
    public struct Row {
        public let name, kind: String
        public let outputShape: [Int]
        public let parameters: Int
        public let flops: Double
    }
    public let rows: [Row]
    public let inputShape: [Int]
    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }
    public var totalFLOPs: Double { rows.reduce(0) { $0 + $1.flops } }

    /// Computes the summary for one image (`inputShape` without the batch dimension).
    public init(network: Sequential, inputShape: [Int]) throws {
        try self.init(layers: network.layers, inputShape: inputShape)
    }

    /// The summary of layers not placed on any backend (no memory needed).
    public init(layers: [(name: String, layer: Layer)], inputShape: [Int]) throws {
        let shape = [1] + inputShape
        let outs = try Sequential.shapes(of: layers, for: shape)
        var s = shape
        var rows: [Row] = []
        for (i, (name, layer)) in layers.enumerated() {
            rows.append(Row(name: name, kind: layer.kind, outputShape: Array(outs[i].dropFirst()),
                            parameters: layer.parameterCount,
                            flops: layer.forwardFLOPs(for: s)))
            s = outs[i]
        }
        self.rows = rows
        self.inputShape = inputShape
    }

    /// A text table with totals.
    public func render() -> String {
        var t = TextTable(headers: ["layer", "type", "output", "params", "MFLOPs"], alignments: [.left, .left, .left, .right, .right])
        t.addRow(["input", "", inputShape.map(String.init).joined(separator: "×"), "", ""])
        for r in rows {
            t.addRow([r.name, r.kind, r.outputShape.map(String.init).joined(separator: "×"),
                      r.parameters > 0 ? groupedDigits(r.parameters) : "", r.flops > 0 ? formatFixed(r.flops / 1e6, decimals: 1) : ""])
        }
        t.addSeparator()
        t.addRow(["total", "", "", groupedDigits(totalParameters), formatFixed(totalFLOPs / 1e6, decimals: 1)])
        return t.render() + "\n" + "forward GFLOPs per image: " + formatFixed(totalFLOPs / 1e9, decimals: 3)
    }
}
