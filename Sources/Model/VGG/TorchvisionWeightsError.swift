/// A state_dict that does not fit the network: the file, and every missing, unexpected and
/// mis-shaped key by name.
public struct TorchvisionWeightsError: Error, CustomStringConvertible {
    /// A key whose tensor has another shape than the network's.
    public struct Misshaped: Equatable, Sendable {
        public let name: String
        public let found: [Int]
        public let expected: [Int]
    }

    public let path: String
    public let missing: [String]
    public let unexpected: [String]
    public let misshaped: [Misshaped]
    /// Keys whose values cannot be what they hold (a `num_batches_tracked` that is no count).
    public var invalid: [String] = []
    public let hints: [String]

    public var description: String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys (\(missing.count)): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected keys (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
        if !invalid.isEmpty { parts.append("invalid values (\(invalid.count)): " + invalid.joined(separator: "; ")) }
        if !misshaped.isEmpty {
            parts.append("mis-shaped keys (\(misshaped.count)): "
                         + misshaped.map { "\($0.name) is \(shape($0.found)), the network needs \(shape($0.expected))" }.joined(separator: "; "))
        }
        let hint = hints.isEmpty ? "" : " (" + hints.joined(separator: "; ") + ")"
        return "\(path): the weights do not fit this network\(hint):\n  " + parts.joined(separator: "\n  ")
    }
}
