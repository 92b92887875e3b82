import CMPIShim
import Foundation
import Support
import Tensors

/// The thread that owns MPI for an `MPICommunicator`: initialises it, runs the queued
/// operations in order as non-blocking collectives, polls them to completion, keeps the
/// heartbeat to rank 0, enforces the timeout, and finalises MPI.
final class CommunicationThread: @unchecked Sendable {
    enum Operation {
        case floatSum(UnsafeMutablePointer<Float>, Int, AllReducePrecision)
        case doubleSum(UnsafeMutablePointer<Double>, Int)
        /// float32 in the fixed tree over the ranks (`vgg_mpi_tree_allreduce`).
        case treeSum(UnsafeMutablePointer<Float>, Int)
        case gather(UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>)
        case barrier
    }

    /// One queued operation; the caller waits on it.
    final class Job: CommunicationRequest {
        let label: String
        var operation: Operation?
        var sequence = 0
        let condition = NSCondition()
        var completed: Bool
        var failure: Error?
        /// Set while a caller waits: the thread then polls without pausing.
        var awaited = false

        init(label: String, operation: Operation? = nil, completed: Bool = false) {
            self.label = label; self.operation = operation; self.completed = completed
        }

        func wait() throws {
            condition.lock()
            awaited = true
            while !completed { condition.wait() }
            condition.unlock()
            if let failure { throw failure }
        }

        func finish(_ error: Error? = nil) {
            condition.lock()
            failure = error
            completed = true
            condition.broadcast()
            condition.unlock()
        }
    }

    let timeout: Double
    private let queue = NSCondition()
    private var pending: [Job] = []
    private var stopping = false
    private var thread: Thread?
    private var started: (rank: Int, size: Int)?
    private var startError: Error?
    private let finished = DispatchSemaphore(value: 0)
    private var rank = 0, size = 1
    private static let heartbeatTag: Int32 = 4242
    private static let treeTag: Int32 = 4243
    private let watch = Watchdog()
    /// The bfloat16 copy of the gradients being summed (`--allreduce-dtype bfloat16`).
    private let staging = BFloat16Staging()
    /// The liveness channel to rank 0 and every rank's hostname (set up after MPI_Init).
    private var peers: PeerMonitor?

    /// The scheme asked for, and the one that runs (set once MPI has started).
    let requestedScheme: AllReduceScheme
    private(set) var scheme: AllReduceScheme = .flat
    /// Whether some rank runs on another host than this one (hostnames differ).
    private(set) var spansHosts = false

    init(timeout: Double, scheme: AllReduceScheme) { self.timeout = timeout; requestedScheme = scheme }

    /// `rank N (host H)` once the hostnames are exchanged, else `rank N`.
    func name(ofRank r: Int) -> String { peers?.name(r) ?? "rank \(r)" }

    /// Starts the thread and initialises MPI on it; returns (rank, size).
    func start() throws -> (rank: Int, size: Int) {
        let t = Thread { [self] in run() }
        t.name = "vgg.mpi"
        t.stackSize = 1 << 20
        thread = t
        t.start()
        queue.lock()
        while started == nil && startError == nil { queue.wait() }
        queue.unlock()
        if let startError { throw startError }
        return started!
    }

    func submit(_ operation: Operation, label: String) throws -> Job {
        let job = Job(label: label, operation: operation)
        queue.lock()
        precondition(!stopping, "MPI communicator used after shutdown")
        pending.append(job)
        queue.signal()
        queue.unlock()
        return job
    }

    func stop() {
        queue.lock()
        guard thread != nil, !stopping else { queue.unlock(); return }
        stopping = true
        queue.signal()
        queue.unlock()
        finished.wait()
    }

    private func mpiError(_ code: Int32, _ what: String) -> CommunicationError {
        var text = [CChar](repeating: 0, count: 256)
        vgg_mpi_error_string(code, &text, Int32(text.count))
        return CommunicationError(rank: rank, "\(what): \(String(cString: text))")
    }

    // MARK: the thread

    private func run() {
        var provided: Int32 = 0
        var r: Int32 = 0, s: Int32 = 0
        var rc = vgg_mpi_init(&provided)
        var failed = "MPI_Init_thread"
        if rc == 0 { vgg_mpi_rank(&r); vgg_mpi_size(&s); rank = Int(r); size = Int(s) }
        // The hostnames and the communicators of a hierarchical all-reduce come before the
        // caller goes on, so that it can read `scheme` and `spansHosts`.
        if rc == 0 && size > 1 { peers = connectPeers() }
        if rc == 0, let hosts = peers?.hosts {
            spansHosts = Set(hosts).count > 1
            // The bfloat16 kernels: the vector paths on one host, plain C across hosts, where the
            // vector paths made the training step slower on a 1 Gbit/s link and no faster
            // unshaped (docs/distributed.md); VGG_BF16_LEVEL (0, 1, 2) overrides.
            if spansHosts && getenv("VGG_BF16_LEVEL") == nil { _ = vgg_bf16_limit(0) }
            // Every rank knows every hostname: they all make the same choice, and all or none
            // of them enter the collective setup.
            let chosen = requestedScheme.resolved(hosts: hosts)
            if chosen != .flat {
                var inHost: Int32 = 0, perHost: Int32 = 0
                rc = vgg_mpi_hier_setup(&inHost, &perHost)
                failed = "MPI_Comm_split_type (the host communicators of --allreduce-scheme \(chosen.rawValue))"
                scheme = chosen
            }
        }
        queue.lock()
        if rc != 0 { startError = mpiError(rc, failed) } else { started = (Int(r), Int(s)) }
        queue.broadcast()
        queue.unlock()
        guard rc == 0 else { finished.signal(); return }

        let heartbeat = Heartbeat(rank: rank, size: size, tag: Self.heartbeatTag)
        watch.start(rank: rank, timeout: timeout, peers: peers)
        var sequence = 0
        while true {
            queue.lock()
            while pending.isEmpty && !stopping { queue.wait() }
            if pending.isEmpty && stopping { queue.unlock(); break }
            let job = pending.removeFirst()
            queue.unlock()
            sequence += 1
            job.sequence = sequence
            heartbeat.announce(sequence)
            do {
                try perform(job, heartbeat: heartbeat)
                job.finish()
            } catch {
                job.finish(error)
            }
        }
        heartbeat.close()
        watch.stop()
        peers?.stop()
        vgg_mpi_finalize()
        finished.signal()
    }

    /// An all-gather of one value per rank, polled until `timeout`; nil where it fails.
    private func gatherPolled(_ value: UInt64) -> [UInt64]? {
        let input = UnsafeMutablePointer<UInt64>.allocate(capacity: 1), output = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        defer { input.deallocate(); output.deallocate() }
        input.pointee = value
        var request: UnsafeMutableRawPointer?
        guard vgg_mpi_iallgather_u64(input, output, &request) == 0 else { return nil }
        let began = ProcessInfo.processInfo.systemUptime
        while true {
            var done: Int32 = 0
            guard vgg_mpi_test(&request, &done) == 0 else { return nil }
            if done != 0 { return Array(UnsafeBufferPointer(start: output, count: size)) }
            if ProcessInfo.processInfo.systemUptime - began > timeout {
                FileHandle.standardError.write(Data("rank \(rank): the exchange of hostnames did not complete within \(Int(timeout)) s (--comm-timeout)\n".utf8))
                Self.end(3)
            }
            usleep(200)
        }
    }

    /// Every rank's hostname (64 bytes, as 8 gathered words) and rank 0's liveness port; then
    /// the liveness channel.
    private func connectPeers() -> PeerMonitor? {
        let bytes = Array(HostName.current.utf8.prefix(64)) + [UInt8](repeating: 0, count: 64)
        var words = [[UInt64]](repeating: [], count: size)
        for w in 0..<8 {
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(bytes[w * 8 + b]) << (8 * b) }
            guard let all = gatherPolled(v) else { return nil }
            for r in 0..<size { words[r].append(all[r]) }
        }
        let hosts = words.map { ws -> String in
            var b: [UInt8] = []
            for v in ws { for i in 0..<8 { b.append(UInt8((v >> (8 * i)) & 0xFF)) } }
            return String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
        }
        let monitor = PeerMonitor(rank: rank, hosts: hosts)
        if rank == 0 {
            monitor.onLoss = { text in
                FileHandle.standardError.write(Data((text + "\n").utf8))
                CommunicationThread.boundLauncher(); _exit(3)
            }
        }
        let port = rank == 0 ? monitor.listen() : 0
        guard let ports = gatherPolled(UInt64(port)) else { return monitor }
        if rank != 0 { monitor.connect(port: UInt16(ports[0])) }
        return monitor
    }

    /// Ends this process after a failure it has reported: MPI_Abort, so that mpirun ends the
    /// other ranks, bounded by a grace period, since MPI_Abort can wait for ever on a peer
    /// whose host is gone.
    ///
    /// When this process is a child of mpirun itself (rank 0, typically), a detached shell
    /// ends mpirun if it is still there 3 s later: mpirun, asked to abort, waits for the
    /// daemon of a host it can no longer reach (its kill order sits unacknowledged in a TCP
    /// queue), and would otherwise never exit. The daemons of the other hosts then lose
    /// mpirun and end their ranks.
    static func end(_ code: Int32) -> Never {
        boundLauncher()
        let t = Thread { Thread.sleep(forTimeInterval: 2); _exit(code) }
        t.stackSize = 1 << 16
        t.start()
        vgg_mpi_abort(code)
        _exit(code)
    }

    static func boundLauncher() {
        let parent = getppid()
        guard let name = try? String(contentsOfFile: "/proc/\(parent)/comm", encoding: .utf8),
              ["mpirun", "orterun", "mpiexec", "prterun"].contains(name.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        let ender = Process()
        ender.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        ender.arguments = ["-f", "/bin/sh", "-c", "sleep 3; kill -0 \(parent) 2>/dev/null && kill -9 \(parent)"]
        ender.standardInput = FileHandle.nullDevice
        ender.standardOutput = FileHandle.nullDevice
        ender.standardError = FileHandle.nullDevice
        try? ender.run()
    }

    /// Starts the operation's collectives (large sums in pieces) and polls each to completion.
    private func perform(_ job: Job, heartbeat: Heartbeat) throws {
        let began = ProcessInfo.processInfo.systemUptime
        func complete(_ start: (inout UnsafeMutableRawPointer?) -> Int32) throws {
            var request: UnsafeMutableRawPointer?
            let rc = start(&request)
            guard rc == 0 else { throw mpiError(rc, job.label) }
            var pause: UInt32 = 20
            while true {
                var done: Int32 = 0
                let t = vgg_mpi_test(&request, &done)
                guard t == 0 else { throw mpiError(t, job.label) }
                if done != 0 { return }
                heartbeat.listen()
                if ProcessInfo.processInfo.systemUptime - began > timeout { fail(job, heartbeat: heartbeat) }
                job.condition.lock(); let awaited = job.awaited; job.condition.unlock()
                // Sleep between polls, briefly once the caller waits: spinning would take the
                // core from compute threads, this rank's or another's.
                usleep(pause); pause = min(pause * 2, awaited ? 100 : 1000)
            }
        }
        /// A blocking collective, run while the watchdog watches the clock.
        func blocking(_ call: () -> Int32) throws {
            watch.begin(job, deadline: began + timeout)
            let rc = call()
            watch.end()
            guard rc == 0 else { throw mpiError(rc, job.label) }
        }
        /// One blocking all-reduce of `count` values, flat or in the hierarchical scheme.
        func sum(_ values: UnsafeMutableRawPointer, _ count: Int, bf16: Bool) -> Int32 {
            switch scheme {
            case .leader: return vgg_mpi_hier_allreduce(values, Int32(count), bf16 ? 1 : 0, VGG_MPI_HIER_LEADER)
            case .scatter: return vgg_mpi_hier_allreduce(values, Int32(count), bf16 ? 1 : 0, VGG_MPI_HIER_SCATTER)
            case .flat:
                return bf16 ? vgg_mpi_allreduce_bf16_sum(values.assumingMemoryBound(to: UInt16.self), Int32(count))
                            : vgg_mpi_allreduce_float_sum(values.assumingMemoryBound(to: Float.self), Int32(count))
            }
        }
        switch job.operation! {
        case let .floatSum(p, n, precision):
            // Every rank must arrive before the sum starts: a polled barrier, so that a rank that
            // never comes is named; then Open MPI's blocking (tuned, segmented) all-reduce.
            try complete { vgg_mpi_ibarrier(&$0) }
            let piece = 1 << 28
            if precision == .bfloat16 {
                let b = staging.round(p, n)
                var o = 0
                while o < n { let k = min(piece, n - o); try blocking { sum(b + o, k, bf16: true) }; o += k }
                staging.widen(into: p, n)
            } else {
                var o = 0
                while o < n { let k = min(piece, n - o); try blocking { sum(p + o, k, bf16: false) }; o += k }
            }
        case let .treeSum(p, n):
            try complete { vgg_mpi_ibarrier(&$0) }
            try blocking { vgg_mpi_tree_allreduce(p, Int32(n), Self.treeTag) }
        case let .doubleSum(p, n):
            try complete { vgg_mpi_iallreduce_double_sum(p, Int32(n), &$0) }
        case let .gather(input, output):
            try complete { vgg_mpi_iallgather_u64(input, output, &$0) }
        case .barrier:
            try complete { vgg_mpi_ibarrier(&$0) }
        }
    }

    /// A collective that did not complete in time: says so, naming who fell behind where it
    /// can, and ends the job.
    private func fail(_ job: Job, heartbeat: Heartbeat) -> Never {
        let me = peers?.name(rank) ?? "rank \(rank)"
        var text = "\(me): \(job.label) (collective #\(job.sequence)) did not complete within \(Int(timeout)) s"
        if rank == 0 {
            let behind = heartbeat.behind(job.sequence)
            let names = behind.map { peers?.name($0) ?? "rank \($0)" }
            text += behind.isEmpty
                ? "; every rank started it, so one stopped inside it"
                : "; \(names.joined(separator: ", ")) never reached it (died or hangs)"
            text += peers?.silence() ?? ""
        } else {
            text += "; rank 0 names the rank that fell behind"
        }
        FileHandle.standardError.write(Data((text + " (--comm-timeout)\n").utf8))
        peers?.stop()
        Self.end(3)
    }
}
