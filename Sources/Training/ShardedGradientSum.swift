import Tensors

/// The gradient of a global batch as the same sum in every process layout (`vgg train
/// --reproducible`): the batch is cut into shards of a fixed size, each shard's gradient is
/// computed on its own (every kernel call sees the same batch size, whatever the number of
/// processes), and the shard gradients are added in one fixed binary tree over the shard
/// indices, in float32: [lo, hi) is the sum of [lo, mid) and [mid, hi), mid = (lo + hi) / 2.
///
/// The tree is summed on the backend, in place, by `Backend.add` (one rounded addition per
/// element, commutative, so only the tree's shape decides the bits): the subtrees whose right
/// sibling is still to come wait in a pool of gradient-sized tensors (one per level under way,
/// at most ⌈log2 shards⌉, allocated at the first step); a shard that is a right child is added
/// into its left sibling, and the last shard folds every waiting subtree into the gradient
/// buffer. Nothing is copied to the host and nothing is allocated after the first step.
///
/// A process holds a contiguous run of `shardsPerProcess` shards; with a power-of-two number
/// of processes, that run is a subtree of the global tree, so each process sums its own
/// subtree and the processes' partial sums are then added in the upper levels of the same
/// tree. An all-reduce is exact whatever MPI's order when every element has at most two
/// operands that are not the additive identity: a + b = b + a, and −0 is the identity of
/// IEEE addition (x + −0 = x for every x, +0 and −0 included; +0 is not: −0 + +0 = +0). So
/// two processes all-reduce their partials as they are (the tree's root is their sum). N ≥ 4
/// use the communicator's `treeSum` where it has one (under mpirun: a reduce-scatter by
/// recursive halving in the tree's order and an all-gather, about 2 (N − 1) / N gradients sent
/// per process); otherwise they all-reduce N / 2 slots, slot k holding the partials of
/// processes 2k and 2k + 1 and −0 elsewhere: the sums of the tree's second level, from which
/// every process adds the levels above in the tree's order (N / 2 gradients' worth in the
/// all-reduce).
public final class ShardedGradientSum {
    /// Images per shard (every forward and backward pass sees this batch size).
    public let shardSize: Int
    /// Shards per process in one step.
    public let shardsPerProcess: Int
    private let communicator: any Communicator
    private let gradients: Tensor
    private let backend: any Backend
    /// The subtrees waiting for their right sibling, each with its shard range; the i-th
    /// from the bottom is held by `pool[i]`.
    private var stack: [Range<Int>] = []
    private var pool: [Tensor] = []
    /// With four processes or more and no tree sum in the communicator: the N / 2 slots of the exchange.
    private var slots: Tensor?
    private let siblings: [Range<Int>: Range<Int>]

    public init(gradients: Tensor, on backend: any Backend, shardSize: Int, shardsPerProcess: Int, communicator: any Communicator) {
        self.gradients = gradients
        self.backend = backend
        self.shardSize = shardSize
        self.shardsPerProcess = shardsPerProcess
        self.communicator = communicator
        siblings = Self.rightSiblings(within: 0 ..< shardsPerProcess)
    }

    /// The shard size when none is given: a quarter of the global batch (16 at batch 64), so
    /// that 1, 2 or 4 processes (one host, or 2 hosts × 2 ranks) can share the same shards, with
    /// kernel calls on a batch as large as 4 ranks' own; half or all of it where 4 does not
    /// divide it. Smaller shards allow more processes and cost time: every shard is one
    /// forward and backward pass on fewer images, and one more gradient-sized addition.
    public static func defaultShardSize(batch: Int) -> Int {
        batch % 4 == 0 ? batch / 4 : batch % 2 == 0 ? batch / 2 : batch
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

    /// How the processes' partial sums meet, for the start line; nil for one process.
    public var exchange: String? {
        switch communicator.size {
        case 1: return nil
        case 2: return "the 2 processes' partial sums in one all-reduce"
        default: return communicator.hasTreeSum
            ? "across the \(communicator.size) processes in the tree's order by point-to-point messages"
            : "across the \(communicator.size) processes as \(communicator.size / 2) slots in one all-reduce"
        }
    }

    /// The gradient-sized tensors this sum keeps (the pool and the exchange's slots), for logs and tests.
    public var keptTensors: Int { pool.count + (slots == nil ? 0 : 1) }

    /// Starts a step.
    public func beginStep() { stack.removeAll(keepingCapacity: true) }

    /// Takes the gradient the backward pass of this process's shard `local` (0-based, in
    /// order) just left in the gradient buffer.
    public func addShard(_ local: Int) {
        precondition(local >= 0 && local < shardsPerProcess && stack.last.map { $0.upperBound == local } ?? (local == 0),
                     "shard \(local) out of order")
        var node = local ..< local + 1
        if local == shardsPerProcess - 1 {
            // The last shard completes every waiting subtree: fold them into the gradient buffer.
            while let top = stack.popLast() {
                backend.add(pool[stack.count], to: gradients)
                node = top.lowerBound ..< node.upperBound
            }
            return
        }
        guard let top = stack.last, siblings[top] == node else {
            push(node).copy(from: gradients)
            return
        }
        // A right child: into its left sibling's tensor, then up while that completes a right child.
        backend.add(gradients, to: pool[stack.count - 1])
        stack[stack.count - 1] = top.lowerBound ..< node.upperBound
        while stack.count >= 2, siblings[stack[stack.count - 2]] == stack[stack.count - 1] {
            let right = stack.removeLast()
            backend.add(pool[stack.count], to: pool[stack.count - 1])
            stack[stack.count - 1] = stack[stack.count - 1].lowerBound ..< right.upperBound
        }
    }

    /// Pushes `node` and returns the pool tensor that is to hold it.
    private func push(_ node: Range<Int>) -> Tensor {
        if pool.count == stack.count { pool.append(Tensor(shape: gradients.shape, on: backend)) }
        stack.append(node)
        return pool[stack.count - 1]
    }

    /// After the last shard: the gradient buffer holds the sum over every shard of the global batch.
    public func finishStep(label: String) throws {
        precondition(stack.isEmpty, "not every shard of the step was added")
        let n = communicator.size
        guard n > 1 else { return }
        if n == 2 {
            try communicator.startAllReduceSum(gradients, precision: .float32, label: label).wait()
            return
        }
        if communicator.hasTreeSum { try communicator.treeSum(gradients, label: label); return }
        let p = gradients.count, m = n / 2
        let buffer = slots ?? Tensor(shape: [m * p], on: backend)
        slots = buffer
        buffer.fill(-0.0)
        buffer.view(offset: communicator.rank / 2 * p, shape: gradients.shape).copy(from: gradients)
        try communicator.startAllReduceSum(buffer, precision: .float32, label: label).wait()
        func slot(_ k: Int) -> Tensor { buffer.view(offset: k * p, shape: gradients.shape) }
        // The levels above the pairs, in the tree's order; returns the slot holding [lo, hi).
        func tree(_ lo: Int, _ hi: Int) -> Int {
            guard hi - lo > 1 else { return lo }
            let mid = (lo + hi) / 2
            let left = tree(lo, mid)
            backend.add(slot(tree(mid, hi)), to: slot(left))
            return left
        }
        gradients.copy(from: slot(tree(0, m)))
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
}
