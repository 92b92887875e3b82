import ArgumentParser
import Foundation
import Training

/// `vgg launch --hostfile H [--max-restarts R] [mpirun options] -- train …`: runs the training
/// under mpirun and, when the job ends because a host was lost (as our `rank N (host H)` lines
/// say), probes that host, drops it from the hostfile if it does not answer, and restarts the
/// training with `--resume` on the hosts left, at most R times.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Run `vgg train` under mpirun; restart it with --resume on the hosts left when a host is lost.",
        discussion: """
        vgg launch --hostfile FILE [--max-restarts R] [--probe-port P] [--probe-timeout S] [mpirun options] -- train OPTIONS…

        Runs `mpirun --hostfile FILE [mpirun options] <this vgg> train OPTIONS…`. When the job fails and its \
        output names a lost rank and host (`lost rank 1 (host h2)`, `rank 1 (host h2) never reached it`), or Open MPI \
        says it lost the daemon of a host (`Remote daemon: … on node h2`), that host is probed with a TCP connection \
        to port P (default 22) within S seconds (default 3): a host that accepts or \
        refuses the connection answers; one that does not (timeout, no route) is dropped from the hostfile. The \
        training is then restarted with --resume from OUT/last.ckpt on the hosts left, with as many ranks as their \
        slots (at most the -np given), the global batch unchanged; if the batch does not divide among the ranks \
        left, nothing is restarted. A job that fails for any other reason is not restarted. At most R restarts \
        (default 3). The environment variable VGG_MPIRUN names another mpirun.
        """)

    @Argument(parsing: .captureForPassthrough, help: "--hostfile FILE, launcher and mpirun options, then -- train OPTIONS…")
    var words: [String] = []

    func run() throws {
        let head = words.firstIndex(of: "--").map { Array(words[..<$0]) } ?? words
        if words.isEmpty || head.contains("--help") || head.contains("-h") { throw CleanExit.helpRequest(Self.self) }
        let plan = try LaunchPlan(words: words)
        let hosts = try HostfileEntry.read(plan.hostfile)
        guard !hosts.isEmpty else { throw ValidationError("\(plan.hostfile): no hosts in the hostfile") }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let mpirun = ProcessInfo.processInfo.environment["VGG_MPIRUN"] ?? "mpirun"
        let remaining = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-launch-\(getpid()).hosts").path
        defer { try? FileManager.default.removeItem(atPath: remaining) }
        let last = URL(fileURLWithPath: plan.outDirectory).appendingPathComponent("last.ckpt")
        // A last.ckpt already there is another run's unless the training resumes it: only one
        // written after the launch (another file, as checkpoints are renamed into place) counts.
        let atLaunch = FileIdentity(of: last.path)
        let resumedByUser = plan.trainWords.contains("--resume")
        func checkpoint() -> LaunchCheckpoint? {
            guard LaunchRecovery.checkpointBelongsToTheJob(FileIdentity(of: last.path), atLaunch: atLaunch, resumedByUser: resumedByUser),
                  let c = try? Checkpoint.read(from: last) else { return nil }
            return LaunchCheckpoint(batchSize: c.header.configuration.batchSize, reproducibleShardSize: c.header.configuration.reproducibleShardSize,
                                    epoch: c.header.state.epoch, batchInEpoch: c.header.state.batchInEpoch)
        }
        var hostfile = plan.hostfile
        var state = LaunchState(hosts: hosts, ranks: plan.ranks, trainWords: plan.trainWords, restarts: 0)
        while true {
            let arguments = LaunchRecovery.mpirunArguments(hostfile: hostfile, plan: plan, state: state, executable: executable)
            let (status, output) = try LaunchedJob.run(mpirun, arguments)
            if status == 0 { return }
            let decision = LaunchRecovery.afterFailure(status: status, output: output, plan: plan, state: state,
                                                       answers: { HostProbe.answers($0, port: plan.probePort, timeout: plan.probeTimeout) },
                                                       checkpoint: checkpoint)
            for line in decision.messages { print(line) }
            fflush(stdout)
            guard let next = decision.next else { throw ExitCode(status) }
            try HostfileEntry.write(next.hosts, to: remaining)
            hostfile = remaining
            state = next
        }
    }
}

/// Where the job's last checkpoint stands: what a restart needs to know of it.
struct LaunchCheckpoint: Equatable {
    var batchSize: Int
    var reproducibleShardSize: Int?
    /// The epoch (0-based) and the batch in it where the checkpoint stands.
    var epoch: Int
    var batchInEpoch: Int
}

/// What the launcher carries from one run of the job to the next.
struct LaunchState: Equatable {
    var hosts: [HostfileEntry]
    /// The `-np` of the next run (nil: mpirun's default, every slot).
    var ranks: Int?
    var trainWords: [String]
    var restarts: Int
}

/// After a failed job: the lines to print and the next run (nil: none; the launcher ends with the job's status).
struct LaunchDecision: Equatable {
    var messages: [String]
    var next: LaunchState?
}

/// A file as the launcher tells one from another: its inode, size and modification time.
struct FileIdentity: Equatable {
    var inode: UInt64
    var size: UInt64
    var modified: Date

    /// The identity of the file at `path` (nil: none there).
    init?(of path: String) {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
              let inode = (a[.systemFileNumber] as? NSNumber)?.uint64Value,
              let size = (a[.size] as? NSNumber)?.uint64Value,
              let modified = a[.modificationDate] as? Date else { return nil }
        self.init(inode: inode, size: size, modified: modified)
    }

    init(inode: UInt64, size: UInt64, modified: Date) {
        (self.inode, self.size, self.modified) = (inode, size, modified)
    }
}

/// The launcher's decisions, free of processes, probes and files: the mpirun command line of
/// each run, and what follows a failed one.
enum LaunchRecovery {
    /// `--hostfile FILE [mpirun options] [-np N] EXECUTABLE train …`.
    static func mpirunArguments(hostfile: String, plan: LaunchPlan, state: LaunchState, executable: String) -> [String] {
        var arguments = ["--hostfile", hostfile] + plan.mpirunOptions
        if let ranks = state.ranks { arguments += ["-np", String(ranks)] }
        return arguments + [executable] + state.trainWords
    }

    /// Whether the last.ckpt now there (`current`) is the job's to resume: one the training was
    /// told to resume, or one written since the launch (another file than the one there then).
    static func checkpointBelongsToTheJob(_ current: FileIdentity?, atLaunch: FileIdentity?, resumedByUser: Bool) -> Bool {
        guard let current else { return false }
        return resumedByUser || current != atLaunch
    }

    /// What follows a failed run (`status`, its `output`): a restart on the hosts left when the
    /// output names lost hosts, at most `plan.maxRestarts` times. `answers` probes a host (asked
    /// only of the hosts named lost, and only when a restart is allowed); `checkpoint` reads the
    /// job's last checkpoint (nil: none written yet, and the restart begins from the start).
    static func afterFailure(status: Int32, output: String, plan: LaunchPlan, state: LaunchState,
                             answers: (String) -> Bool, checkpoint: () -> LaunchCheckpoint?) -> LaunchDecision {
        let lost = LostRankLines.lost(in: output)
        let names = lost.map(\.described).joined(separator: ", ")
        guard !lost.isEmpty else {
            return LaunchDecision(messages: ["vgg launch: the job failed (status \(status)) and named no lost host: not restarted"])
        }
        guard state.restarts < plan.maxRestarts else {
            return LaunchDecision(messages: ["vgg launch: lost \(names); --max-restarts \(plan.maxRestarts) reached: not restarted"])
        }
        var lostHosts: [String] = []
        for l in lost where !lostHosts.contains(l.host) { lostHosts.append(l.host) }
        let unhealthy = Set(lostHosts.filter { !answers($0) })
        var messages: [String] = []
        let listed = Set(state.hosts.map(\.name))
        let unlisted = unhealthy.filter { !listed.contains($0) }.sorted()
        guard unlisted.isEmpty else {
            // Restarting on the same hostfile would start on the dead host again.
            let known = state.hosts.map(\.name).joined(separator: ", ")
            return LaunchDecision(messages: unlisted.map {
                "vgg launch: host \($0) does not answer (TCP port \(plan.probePort), \(plan.probeTimeout) s) but no line of the hostfile names it (it names \(known)): not restarted"
            })
        }
        for host in unhealthy.sorted() {
            messages.append("vgg launch: host \(host) does not answer (TCP port \(plan.probePort), \(plan.probeTimeout) s): dropped from the hostfile")
        }
        var next = state
        next.hosts.removeAll { unhealthy.contains($0.name) }
        guard !next.hosts.isEmpty else {
            return LaunchDecision(messages: messages + ["vgg launch: no host left: not restarted"])
        }
        let slots = next.hosts.reduce(0) { $0 + $1.slots }
        let ranks = min(plan.ranks ?? slots, slots)
        let last = checkpoint()
        if let last {
            if last.batchSize % ranks != 0 {
                return LaunchDecision(messages: messages + ["vgg launch: the global batch of \(last.batchSize) does not divide among \(ranks) ranks: not restarted"])
            }
            if let shard = last.reproducibleShardSize, let problem = ShardedGradientSum.problem(batch: last.batchSize, shard: shard, processes: ranks) {
                return LaunchDecision(messages: messages + ["vgg launch: \(problem): not restarted"])
            }
        }
        next.ranks = ranks
        next.restarts += 1
        if last != nil && !next.trainWords.contains("--resume") { next.trainWords.append("--resume") }
        let position = last.map { "at epoch \($0.epoch + 1), batch \($0.batchInEpoch)" } ?? "before the first checkpoint"
        let verdict = unhealthy.isEmpty ? "; it answers, so it stays" : ""
        let how = last != nil ? " with --resume" : " from the start"
        messages.append("vgg launch: lost \(names) \(position)\(verdict); restarting on \(next.hosts.count) host\(next.hosts.count == 1 ? "" : "s")\(how) (restart \(next.restarts) of \(plan.maxRestarts))")
        return LaunchDecision(messages: messages, next: next)
    }
}

/// The launcher's own options, mpirun's and the train command, split from the command line.
struct LaunchPlan {
    var hostfile = ""
    var maxRestarts = 3
    var probePort: UInt16 = 22
    var probeTimeout = 3.0
    /// `-np` / `-n` / `--np` / `-c` as given (nil: mpirun's default, every slot).
    var ranks: Int?
    var mpirunOptions: [String] = []
    var trainWords: [String] = []
    var outDirectory = TrainCommand.defaultOut

    init(words: [String]) throws {
        guard let dash = words.firstIndex(of: "--") else { throw ValidationError("vgg launch: give the training after --: vgg launch --hostfile FILE -- train …") }
        var i = 0
        let head = Array(words[..<dash])
        func value(_ name: String) throws -> String {
            guard i + 1 < head.count else { throw ValidationError("vgg launch: \(name) needs a value") }
            i += 1
            return head[i]
        }
        while i < head.count {
            let w = head[i]
            switch w {
            case "--hostfile", "-hostfile", "--machinefile", "-machinefile": hostfile = try value(w)
            case "--max-restarts":
                guard let r = Int(try value(w)), r >= 0 else { throw ValidationError("vgg launch: --max-restarts needs a count of 0 or more") }
                maxRestarts = r
            case "--probe-port":
                guard let p = UInt16(try value(w)), p > 0 else { throw ValidationError("vgg launch: --probe-port needs a port number") }
                probePort = p
            case "--probe-timeout":
                guard let t = Double(try value(w)), t > 0 else { throw ValidationError("vgg launch: --probe-timeout needs seconds") }
                probeTimeout = t
            case "-np", "--np", "-n", "-c":
                guard let n = Int(try value(w)), n > 0 else { throw ValidationError("vgg launch: \(w) needs a number of ranks") }
                ranks = n
            case "--host", "-host", "-H":
                throw ValidationError("vgg launch: give the hosts in --hostfile, not \(w): the launcher drops lost hosts from it")
            default: mpirunOptions.append(w)
            }
            i += 1
        }
        guard !hostfile.isEmpty else { throw ValidationError("vgg launch: --hostfile FILE is required") }
        trainWords = Array(words[(dash + 1)...])
        guard trainWords.first == "train" else { throw ValidationError("vgg launch: after -- comes `train` and its options (got \(trainWords.first.map { "`\($0)`" } ?? "nothing"))") }
        for (k, w) in trainWords.enumerated() {
            if w == "--out", k + 1 < trainWords.count { outDirectory = trainWords[k + 1] }
            if w.hasPrefix("--out=") { outDirectory = String(w.dropFirst(6)) }
        }
    }
}

/// One line of an Open MPI hostfile: a host and its slots (1 when not given).
struct HostfileEntry: Equatable {
    var name: String
    var slots: Int
    var line: String

    static func read(_ path: String) throws -> [HostfileEntry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("\(path): cannot read the hostfile") }
        return parse(text)
    }

    /// The hosts of a hostfile's text: one per line that names one (`#` starts a comment);
    /// `slots=N` gives its slots, `max_slots=N` only where no `slots=` is given, else 1.
    static func parse(_ text: String) -> [HostfileEntry] {
        text.split(separator: "\n").compactMap { raw in
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let name = fields.first else { return nil }
            func value(_ key: String) -> Int? {
                fields.dropFirst().lazy.compactMap { $0.hasPrefix(key) ? Int($0.dropFirst(key.count)) : nil }.first
            }
            let slots = value("slots=") ?? value("max_slots=") ?? 1
            return HostfileEntry(name: name, slots: slots, line: line.trimmingCharacters(in: .whitespaces))
        }
    }

    static func write(_ hosts: [HostfileEntry], to path: String) throws {
        try (hosts.map(\.line).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// The ranks and hosts that our messages name as lost: `lost rank N (host H)` (a connection
/// closed without a goodbye), `rank N (host H) never reached it` (a collective timed out) and
/// `rank N (host H) not heard from for S s` (silent on the liveness connection); and the host
/// of the daemon that Open MPI's launcher says it lost (`Remote daemon: [[J,0],D] on node H`
/// after "ORTE has lost communication with a remote daemon", PRRTE's "PRTE has lost …" alike),
/// which can end the job before any rank speaks when mpirun's keepalive is shorter than
/// `--comm-timeout`. Such a host comes without a rank.
enum LostRankLines {
    struct Lost: Equatable {
        var rank: Int?
        var host: String
        /// "host H (rank N)", or "host H (mpirun lost its daemon)" when no rank was named.
        var described: String { "host \(host) (\(rank.map { "rank \($0)" } ?? "mpirun lost its daemon"))" }
    }

    static func lost(in output: String) -> [Lost] {
        var found: [Lost] = []
        let daemonLost = output.contains("has lost communication with a remote daemon")
        for line in output.split(separator: "\n").map(String.init) {
            if daemonLost, let r = line.range(of: "Remote daemon:"), let node = line[r.upperBound...].range(of: " on node ") {
                let host = line[node.upperBound...].prefix { !$0.isWhitespace }
                if !host.isEmpty, !found.contains(where: { $0.host == host }) { found.append(Lost(rank: nil, host: String(host))) }
                continue
            }
            var segments: [Substring] = []
            var rest = line[...]
            while let r = rest.range(of: "lost rank ") {
                segments.append(rest[rest.index(r.upperBound, offsetBy: -5)...].prefix { $0 != ":" && $0 != ";" }) // "rank N (host H)"
                rest = rest[r.upperBound...]
            }
            for phrase in [" never reached it", " not heard from for "] {
                var searched = line[...]
                while let r = searched.range(of: phrase) {
                    let before = line[..<r.lowerBound]
                    let start = before.range(of: "; ", options: .backwards)?.upperBound ?? before.startIndex
                    segments.append(before[start...])
                    searched = line[r.upperBound...]
                }
            }
            for segment in segments {
                for item in names(in: segment) where !found.contains(item) {
                    // A rank named on a host already known only from mpirun's banner replaces it.
                    if let i = found.firstIndex(where: { $0.host == item.host && $0.rank == nil }) { found[i] = item } else { found.append(item) }
                }
            }
        }
        return found
    }

    /// Every `rank N (host H)` in the text.
    static func names(in text: Substring) -> [Lost] {
        var result: [Lost] = []
        var rest = text
        while let r = rest.range(of: "rank ") {
            rest = rest[r.upperBound...]
            let digits = rest.prefix { $0.isNumber }
            guard let rank = Int(digits) else { continue }
            let after = rest[digits.endIndex...]
            guard after.hasPrefix(" (host "), let close = after.firstIndex(of: ")") else { continue }
            let host = after[after.index(after.startIndex, offsetBy: 7)..<close]
            if !host.isEmpty { result.append(Lost(rank: rank, host: String(host))) }
            rest = after[close...]
        }
        return result
    }
}

/// Whether a host answers a TCP connection within a timeout: accepted or refused (the host
/// is up), as opposed to a timeout or no route (down, or its link is).
enum HostProbe {
    static func answers(_ host: String, port: UInt16, timeout: Double) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let a = entry {
            entry = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd < 0 { continue }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return true }
            if errno == ECONNREFUSED { return true }
            guard errno == EINPROGRESS else { continue }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, Int32(timeout * 1000)) == 1 else { continue }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err == 0 || err == ECONNREFUSED { return true }
        }
        return false
    }
}

/// mpirun run as a child, its output passed through and kept for the launcher to read.
enum LaunchedJob {
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }

    static func run(_ program: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let collected = Collected()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, FileHandle.standardOutput), (err, FileHandle.standardError)] {
            group.enter()
            let reader = pipe.fileHandleForReading
            Thread.detachNewThread {
                while true {
                    let d = reader.availableData
                    if d.isEmpty { break }
                    sink.write(d)
                    collected.append(d)
                }
                group.leave()
            }
        }
        do { try process.run() } catch { throw ValidationError("vgg launch: cannot start \(program): \(error)") }
        process.waitUntilExit()
        // A process left on a host may hold the pipes open: what it writes after mpirun ends is not awaited.
        _ = group.wait(timeout: .now() + 5)
        return (process.terminationStatus, collected.text)
    }
}
