import Tensors

/// The gradient of a global batch as the same sum in every process layout (`vgg train
/// --reproducible`): the batch is cut into shards of a fixed size, each shard's gradient is
/// computed on its own (every kernel call sees the same batch size, whatever the number of
/// processes), and the shard gradients are added in one fixed binary tree over the shard
/// indices, in float32: [lo, hi) is the sum of [lo, mid) and [mid, hi), mid = (lo + hi) / 2.
///
/// A process holds a contiguous run of `shardsPerProcess` shards; with a power-of-two number
/// of processes, that run is a subtree of the global tree, so each process adds its own
/// subtree and the processes' partial sums are then added in the upper levels of the same
/// tree. Those partials travel by an all-reduce of a buffer with one slot per process, every
/// other slot zero: adding zeros is exact, so MPI's own order of summation cannot change a
/// bit (a negative zero is made positive first, in every layout, since +0 + −0 is +0).
public final class ShardedGradientSum {
    /// Images per shard (every forward and backward pass sees this batch size).
    public let shardSize: Int
    /// Shards per process in one step.
    public let shardsPerProcess: Int
    private let communicator: any Communicator
    private let gradients: Tensor
    private let backend: any Backend
    /// Partial sums of the subtrees under way, each with its shard range.
    private var stack: [(range: Range<Int>, values: [Float])] = []
    private var gathered: Tensor?
    private let siblings: [Range<Int>: Range<Int>]

    public init(gradients: Tensor, on backend: any Backend, shardSize: Int, shardsPerProcess: Int, communicator: any Communicator) {
        self.gradients = gradients
        self.backend = backend
        self.shardSize = shardSize
        self.shardsPerProcess = shardsPerProcess
        self.communicator = communicator
        siblings = Self.rightSiblings(within: 0 ..< shardsPerProcess)
    }

    /// Whether `n` processes can split `batch` images into shards of `shard` the same way as
    /// one process (nil), or why not.
    public static func problem(batch: Int, shard: Int, processes n: Int) -> String? {
        guard shard >= 1 else { return "the shard size must be at least 1" }
        guard batch % shard == 0 else { return "--batch-size \(batch) is not a multiple of the shard size \(shard)" }
        guard n & (n - 1) == 0 else { return "\(n) processes: the number of processes must be a power of two" }
        guard (batch / shard) % n == 0 else {
            return "--batch-size \(batch) makes \(batch / shard) shards of \(shard), which do not divide among \(n) processes"
        }
        return nil
    }

    /// Starts a step.
    public func beginStep() { stack.removeAll(keepingCapacity: true) }

    /// Takes the gradient the backward pass of this process's shard `local` (0-based, in
    /// order) just left in the gradient buffer.
    public func addShard(_ local: Int) {
        var node = (range: local ..< local + 1, values: gradients.toArray())
        // Merge with the partial sums whose sibling this node completes, as the tree says.
        while let top = stack.last, siblings[top.range] == node.range {
            stack.removeLast()
            node = (top.range.lowerBound ..< node.range.upperBound, Self.sum(top.values, node.values))
        }
        stack.append(node)
    }

    /// After the last shard: the gradient buffer holds the sum over every shard of the global batch.
    public func finishStep(label: String) throws {
        precondition(stack.count == 1 && stack[0].range == 0 ..< shardsPerProcess, "not every shard of the step was added")
        var mine = stack[0].values
        stack.removeAll(keepingCapacity: true)
        let n = communicator.size
        guard n > 1 else { gradients.copy(from: Self.positiveZeros(mine)); return }
        mine = Self.positiveZeros(mine)
        let p = mine.count
        let buffer = gathered ?? Tensor(shape: [n * p], on: backend)
        gathered = buffer
        var slots = [Float](repeating: 0, count: n * p)
        slots.replaceSubrange(communicator.rank * p ..< (communicator.rank + 1) * p, with: mine)
        buffer.copy(from: slots)
        try communicator.startAllReduceSum(buffer, precision: .float32, label: label).wait()
        let all = buffer.toArray()
        func tree(_ lo: Int, _ hi: Int) -> [Float] {
            if hi - lo == 1 { return Array(all[lo * p ..< (lo + 1) * p]) }
            let mid = (lo + hi) / 2
            return Self.sum(tree(lo, mid), tree(mid, hi))
        }
        gradients.copy(from: tree(0, n))
    }

    /// The right sibling of every left child of the halving tree over `root`.
    static func rightSiblings(within root: Range<Int>) -> [Range<Int>: Range<Int>] {
        var siblings: [Range<Int>: Range<Int>] = [:]
        func visit(_ node: Range<Int>) {
            guard node.count > 1 else { return }
            let mid = (node.lowerBound + node.upperBound) / 2
            siblings[node.lowerBound ..< mid] = mid ..< node.upperBound
            visit(node.lowerBound ..< mid); visit(mid ..< node.upperBound)
        }
        visit(root)
        return siblings
    }

    static func sum(_ a: [Float], _ b: [Float]) -> [Float] {
        zip(a, b).map { $0 + $1 }
    }

    static func positiveZeros(_ a: [Float]) -> [Float] {
        a.map { $0 + 0 }
    }
}
