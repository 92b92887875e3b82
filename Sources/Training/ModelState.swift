import Kernels
import NN

/// Moves a network's weights, running statistics and momentum buffers to and from the
/// named tensors of a checkpoint.
public enum ModelState {
    public static func tensors(of network: Sequential, momentum: Tensor?) -> (entries: [Checkpoint.TensorEntry], values: [String: [Float]]) {
        var entries: [Checkpoint.TensorEntry] = []
        var values: [String: [Float]] = [:]
        for (name, p) in network.namedParameters {
            entries.append(.init(name: "param." + name, count: p.count)); values["param." + name] = p.value.array
        }
        for (name, p) in network.namedBuffers {
            entries.append(.init(name: "buffer." + name, count: p.count)); values["buffer." + name] = p.value.array
        }
        if let momentum {
            entries.append(.init(name: "momentum", count: momentum.count)); values["momentum"] = momentum.array
        }
        return (entries, values)
    }

    /// Loads weights and buffers; every tensor must be present with the right size.
    public static func load(_ checkpoint: Checkpoint, into network: Sequential, path: String) throws {
        var problems: [String] = []
        for (name, p) in network.namedParameters + network.namedBuffers {
            let key = (p.isTrainable ? "param." : "buffer.") + name
            guard let v = checkpoint.tensors[key] else { problems.append("missing \(name)"); continue }
            guard v.count == p.count else { problems.append("\(name) has \(v.count) values, the network needs \(p.count) (shape \(p.shape))"); continue }
            v.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: p.count) }
        }
        if !problems.isEmpty {
            throw CheckpointError(path: path, problem: "does not fit this network: " + problems.prefix(8).joined(separator: "; "))
        }
    }
}
