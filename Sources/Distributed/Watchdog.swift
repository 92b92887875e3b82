import Foundation

/// Watches the blocking collectives of the communication thread, which cannot poll while
/// MPI holds it: when one outlives its deadline, says which and ends the process (exit
/// status 3, without atexit handlers, which could wait on MPI), so that mpirun ends the others instead of every rank waiting for ever.
///
/// Every rank passed a polled barrier before the collective began, so a rank that never
/// arrived has already been named; this catches one that stopped inside the collective.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var job: (label: String, sequence: Int, deadline: Double)?
    private var running = false
    private var thread: Thread?

    func start(rank: Int, timeout: Double, peers: PeerMonitor?) {
        lock.lock(); running = true; lock.unlock()
        let t = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: min(0.25, max(timeout / 8, 0.01)))
                lock.lock()
                let (alive, current) = (running, job)
                lock.unlock()
                guard alive else { return }
                if let current, ProcessInfo.processInfo.systemUptime > current.deadline {
                    let me = peers?.name(rank) ?? "rank \(rank)"
                    let silent = rank == 0 ? peers?.silence() ?? "" : ""
                    let text = "\(me): \(current.label) (collective #\(current.sequence)) did not complete within \(Int(timeout)) s; every rank started it, so one stopped inside it\(silent) (--comm-timeout)\n"
                    FileHandle.standardError.write(Data(text.utf8))
                    peers?.stop()
                    // MPI_Abort is not for this thread (MPI is funnelled through the
                    // communication thread); the exit ends the job through mpirun.
                    CommunicationThread.boundLauncher(); _exit(3)
                }
            }
        }
        t.name = "vgg.mpi.watchdog"
        t.stackSize = 1 << 18
        thread = t
        t.start()
    }

    func begin(_ job: CommunicationThread.Job, deadline: Double) {
        lock.lock(); self.job = (job.label, job.sequence, deadline); lock.unlock()
    }

    func end() {
        lock.lock(); job = nil; lock.unlock()
    }

    func stop() {
        lock.lock(); running = false; lock.unlock()
    }
}
