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
        output names a lost rank and host (`lost rank 1 (host h2)`, `rank 1 (host h2) never reached it`), that host \
        is probed with a TCP connection to port P (default 22) within S seconds (default 3): a host that accepts or \
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
        var hosts = try HostfileEntry.read(plan.hostfile)
        guard !hosts.isEmpty else { throw ValidationError("\(plan.hostfile): no hosts in the hostfile") }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let mpirun = ProcessInfo.processInfo.environment["VGG_MPIRUN"] ?? "mpirun"
        let remaining = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-launch-\(getpid()).hosts").path
        defer { try? FileManager.default.removeItem(atPath: remaining) }
        var restarts = 0
        var hostfile = plan.hostfile
        var ranks = plan.ranks
        var trainWords = plan.trainWords
        while true {
            var arguments = ["--hostfile", hostfile] + plan.mpirunOptions
            if let ranks { arguments += ["-np", String(ranks)] }
            arguments += [executable] + trainWords
            let (status, output) = try LaunchedJob.run(mpirun, arguments)
            if status == 0 { return }
            let lost = LostRankLines.lost(in: output)
            guard !lost.isEmpty else {
                print("vgg launch: the job failed (status \(status)) and named no lost host: not restarted")
                throw ExitCode(status)
            }
            guard restarts < plan.maxRestarts else {
                print("vgg launch: lost \(lost.map { "host \($0.host) (rank \($0.rank))" }.joined(separator: ", ")); --max-restarts \(plan.maxRestarts) reached: not restarted")
                throw ExitCode(status)
            }
            let unhealthy = Set(lost.map(\.host).filter { !HostProbe.answers($0, port: plan.probePort, timeout: plan.probeTimeout) })
            for host in unhealthy.sorted() {
                print("vgg launch: host \(host) does not answer (TCP port \(plan.probePort), \(plan.probeTimeout) s): dropped from the hostfile")
            }
            hosts.removeAll { unhealthy.contains($0.name) }
            guard !hosts.isEmpty else {
                print("vgg launch: no host left: not restarted")
                throw ExitCode(status)
            }
            let slots = hosts.reduce(0) { $0 + $1.slots }
            let newRanks = min(plan.ranks ?? slots, slots)
            let last = URL(fileURLWithPath: plan.outDirectory).appendingPathComponent("last.ckpt")
            let checkpoint = try? Checkpoint.read(from: last)
            if let checkpoint {
                let c = checkpoint.header.configuration
                if c.batchSize % newRanks != 0 {
                    print("vgg launch: the global batch of \(c.batchSize) does not divide among \(newRanks) ranks: not restarted")
                    throw ExitCode(status)
                }
                if let shard = c.reproducibleShardSize, let problem = ShardedGradientSum.problem(batch: c.batchSize, shard: shard, processes: newRanks) {
                    print("vgg launch: \(problem): not restarted")
                    throw ExitCode(status)
                }
            }
            try HostfileEntry.write(hosts, to: remaining)
            hostfile = remaining
            ranks = newRanks
            restarts += 1
            if checkpoint != nil && !trainWords.contains("--resume") { trainWords.append("--resume") }
            let position = checkpoint.map { "at epoch \($0.header.state.epoch + 1), batch \($0.header.state.batchInEpoch)" } ?? "before the first checkpoint"
            let names = lost.map { "host \($0.host) (rank \($0.rank))" }.joined(separator: ", ")
            let verdict = unhealthy.isEmpty ? "; it answers, so it stays" : ""
            let how = checkpoint != nil ? " with --resume" : " from the start"
            print("vgg launch: lost \(names) \(position)\(verdict); restarting on \(hosts.count) host\(hosts.count == 1 ? "" : "s")\(how) (restart \(restarts) of \(plan.maxRestarts))")
            fflush(stdout)
        }
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
    var outDirectory = "runs/train"

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
        return text.split(separator: "\n").compactMap { raw in
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let name = fields.first else { return nil }
            let slots = fields.dropFirst().compactMap { f -> Int? in
                for key in ["slots=", "max_slots="] where f.hasPrefix(key) { return Int(f.dropFirst(key.count)) }
                return nil
            }.first ?? 1
            return HostfileEntry(name: name, slots: slots, line: line.trimmingCharacters(in: .whitespaces))
        }
    }

    static func write(_ hosts: [HostfileEntry], to path: String) throws {
        try (hosts.map(\.line).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// The ranks and hosts that our messages name as lost: `lost rank N (host H)` (a connection
/// closed without a goodbye), `rank N (host H) never reached it` (a collective timed out) and
/// `rank N (host H) not heard from for S s` (silent on the liveness connection).
enum LostRankLines {
    struct Lost: Equatable { var rank: Int; var host: String }

    static func lost(in output: String) -> [Lost] {
        var found: [Lost] = []
        for line in output.split(separator: "\n").map(String.init) {
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
                for item in names(in: segment) where !found.contains(item) { found.append(item) }
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
