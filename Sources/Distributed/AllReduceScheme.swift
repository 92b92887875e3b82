/// How an `MPICommunicator` sums gradients when its ranks span several hosts.
///
/// `flat` (the default) is Open MPI's own all-reduce over every rank (its tuned component
/// picks the algorithm). The hierarchical schemes sum inside each host first, over shared
/// memory, so that only one host's share crosses the network: `leader` sums to one rank per
/// host, all-reduces among those and broadcasts back; `scatter` reduce-scatters inside the
/// host, all-reduces each piece across hosts (every rank of a host carries its piece, at once)
/// and all-gathers inside the host. They need at least 2 hosts with the same number (at least
/// 2) of ranks each; elsewhere the flat all-reduce runs. Measured on namespace hosts
/// (docs/distributed.md), they beat `flat` on a 1 Gbit/s link at 107 MiB and lost to it on the
/// unshaped one, so neither is the default.
public enum AllReduceScheme: String, Sendable, CaseIterable {
    case flat
    case leader
    case scatter

    /// The scheme that runs on ranks placed on `hosts` (hostname by rank).
    public func resolved(hosts: [String]) -> AllReduceScheme {
        self == .flat || !Self.hierarchicalFits(hosts: hosts) ? .flat : self
    }

    /// Whether the ranks form at least 2 hosts with the same number, at least 2, on each.
    public static func hierarchicalFits(hosts: [String]) -> Bool {
        guard !hosts.contains(where: \.isEmpty) else { return false }
        var counts: [String: Int] = [:]
        for h in hosts { counts[h, default: 0] += 1 }
        let perHost = Set(counts.values)
        return counts.count >= 2 && perHost.count == 1 && perHost.first! >= 2
    }
}
