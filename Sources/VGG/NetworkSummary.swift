import NN

/// Per-layer output shapes, parameter counts and forward FLOPs of a network.
public struct NetworkSummary {
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
        let shape = [1] + inputShape
        let outs = try network.shapes(for: shape)
        var s = shape
        var rows: [Row] = []
        for (i, (name, layer)) in network.layers.enumerated() {
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
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            s.count >= n ? s : (right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
        }
        var lines = [pad("layer", 14) + pad("type", 14) + pad("output", 16) + pad("params", 14, right: true) + pad("MFLOPs", 12, right: true)]
        lines.append(String(repeating: "-", count: 70))
        lines.append(pad("input", 14) + pad("", 14) + pad(inputShape.map(String.init).joined(separator: "×"), 16))
        for r in rows {
            lines.append(pad(r.name, 14) + pad(r.kind, 14) + pad(r.outputShape.map(String.init).joined(separator: "×"), 16)
                         + pad(r.parameters > 0 ? groupedDigits(r.parameters) : "", 14, right: true)
                         + pad(r.flops > 0 ? String(format: "%.1f", r.flops / 1e6) : "", 12, right: true))
        }
        lines.append(String(repeating: "-", count: 70))
        lines.append("total parameters: \(groupedDigits(totalParameters))")
        lines.append(String(format: "forward GFLOPs per image: %.3f", totalFLOPs / 1e9))
        return lines.joined(separator: "\n")
    }
}

import Foundation

/// `1234567` → `1,234,567`.
public func groupedDigits(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
    return String(out.reversed())
}
