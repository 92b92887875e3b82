import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A liveness channel beside MPI, so that rank 0 can name a rank that was lost, and its host:
/// every other rank holds a TCP connection to rank 0 (to the address of rank 0's hostname) and
/// sends a byte every quarter second from a thread of its own, and a goodbye when its process
/// exits on its own (`exit`, an error included).
///
/// On rank 0, a connection that closes without the goodbye means the process was killed or its
/// host went down: rank 0 says so at once, naming the rank and host (before mpirun, which
/// notices the same loss, ends the job), and ends the job. A rank that stays silent (its host
/// cut off, or stopped) is named by the timeout messages of the collectives.
///
/// Where the channel cannot be set up (rank 0's hostname does not resolve, a firewall), the
/// job runs without it and the messages name ranks only by what MPI tells.
final class PeerMonitor: @unchecked Sendable {
    let rank: Int
    let hosts: [String]
    private let lock = NSLock()
    /// On rank 0: when each rank was last heard from (nil: never connected), and the ranks lost.
    private var lastHeard: [Double?]
    private var said: Set<Int> = []
    private var lost: Set<Int> = []
    private var running = true
    private var listener: Int32 = -1
    private var connection: Int32 = -1
    /// What rank 0 does once it has named a lost rank (ends the job).
    var onLoss: (@Sendable (String) -> Void)?

    private static let period = 0.25
    nonisolated(unsafe) private static var exiting: Int32 = -1

    init(rank: Int, hosts: [String]) {
        self.rank = rank
        self.hosts = hosts
        lastHeard = [Double?](repeating: nil, count: hosts.count)
    }

    /// `rank N (host H)`: how the messages name a rank.
    func name(_ r: Int) -> String {
        r < hosts.count && !hosts[r].isEmpty ? "rank \(r) (host \(hosts[r]))" : "rank \(r)"
    }

    /// On rank 0: opens the listening socket, returns its port (0 where it cannot).
    func listen() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 0 }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, Glibc.listen(fd, 1024) == 0 else { close(fd); return 0 }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        let t = Thread { [self] in watch() }
        t.name = "vgg.mpi.peers"
        t.stackSize = 1 << 18
        t.start()
        return UInt16(bigEndian: address.sin_port)
    }

    /// On the other ranks: connects to rank 0 (`port` on the address of its hostname) and
    /// starts the beat. Returns whether the channel is up.
    @discardableResult
    func connect(port: UInt16) -> Bool {
        guard port != 0, !hosts.isEmpty else { return false }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(hosts[0], String(port), &hints, &found) == 0, let first = found else { return false }
        defer { freeaddrinfo(found) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { close(fd); return false }
        var me = Int32(rank).littleEndian
        guard send(fd, &me, 4, Int32(MSG_NOSIGNAL)) == 4 else { close(fd); return false }
        connection = fd
        Self.exiting = fd
        // A process that exits on its own (an error it reports, the end of the job) says
        // goodbye; one that is killed, or whose host goes, does not.
        atexit { if PeerMonitor.exiting >= 0 { var b: UInt8 = 0x62; _ = send(PeerMonitor.exiting, &b, 1, Int32(MSG_NOSIGNAL)) } }
        let t = Thread { [self] in
            while true {
                lock.lock(); let alive = running; lock.unlock()
                guard alive else { return }
                var h: UInt8 = 0x68
                if send(fd, &h, 1, Int32(MSG_NOSIGNAL)) != 1 { return }
                Thread.sleep(forTimeInterval: Self.period)
            }
        }
        t.name = "vgg.mpi.beat"
        t.stackSize = 1 << 18
        t.start()
        return true
    }

    /// Ends the channel: a goodbye from the other ranks, the listener closed on rank 0.
    func stop() {
        lock.lock(); running = false; lock.unlock()
        if connection >= 0 {
            var b: UInt8 = 0x62
            _ = send(connection, &b, 1, Int32(MSG_NOSIGNAL))
        }
    }

    /// On rank 0: `; rank 1 (host h) not heard from for 5.2 s` for every rank silent for more
    /// than a second or lost (empty when all are heard).
    func silence() -> String {
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock(); defer { lock.unlock() }
        var parts: [String] = []
        for r in 1..<max(hosts.count, 1) {
            if lost.contains(r) { parts.append("\(name(r)) was lost (connection closed)"); continue }
            guard let heard = lastHeard[r] else { continue }
            if now - heard > 1 { parts.append(String(format: "%@ not heard from for %.1f s (its host down or cut off, or the process stopped)", name(r), now - heard)) }
        }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: "; ")
    }

    // MARK: rank 0's thread

    private func watch() {
        var clients: [(fd: Int32, rank: Int?)] = []
        while true {
            lock.lock(); let alive = running; lock.unlock()
            guard alive else { break }
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            fds += clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let n = poll(&fds, nfds_t(fds.count), 100)
            guard n > 0 else { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let fd = accept(listener, nil, nil)
                if fd >= 0 { clients.append((fd, nil)) }
            }
            var closed: [Int] = []
            for (i, p) in fds.enumerated().dropFirst() where p.revents != 0 {
                let c = i - 1
                var buffer = [UInt8](repeating: 0, count: 256)
                let got = recv(p.fd, &buffer, buffer.count, 0)
                if got <= 0 { closed.append(c); continue }
                var bytes = buffer[0..<got]
                if clients[c].rank == nil {
                    guard bytes.count >= 4 else { closed.append(c); continue }
                    let r = Int(Int32(littleEndian: bytes.prefix(4).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
                    guard r > 0 && r < hosts.count else { closed.append(c); continue }
                    clients[c].rank = r
                    bytes = bytes.dropFirst(4)
                }
                let r = clients[c].rank!
                lock.lock()
                lastHeard[r] = ProcessInfo.processInfo.systemUptime
                if bytes.contains(0x62) { said.insert(r) }
                lock.unlock()
            }
            for c in closed.reversed() {
                let (fd, r) = clients.remove(at: c)
                close(fd)
                guard let r else { continue }
                lock.lock()
                let farewell = said.contains(r)
                if !farewell { lost.insert(r) }
                lock.unlock()
                if !farewell {
                    onLoss?("rank 0: lost \(name(r)): its connection to rank 0 closed without a goodbye (the process was killed or its host went down)")
                }
            }
        }
        for c in clients { close(c.fd) }
        close(listener)
    }
}
