import CMPIShim
import Foundation

/// Every rank tells rank 0 the number of each collective it starts (non-blocking
/// point-to-point messages), so that when one does not complete, rank 0 can name the ranks
/// that never reached it.
final class Heartbeat {
    let rank, size: Int
    let tag: Int32
    /// On rank 0: the last collective each rank announced, and a receive posted per rank.
    private var heard: [Int64]
    private var received: UnsafeMutablePointer<Int64>
    private var receives: [UnsafeMutableRawPointer?]
    /// On other ranks: the values being sent (a ring, so a buffer outlives its send).
    private var outgoing: UnsafeMutablePointer<Int64>
    private var next = 0
    private static let ring = 256

    init(rank: Int, size: Int, tag: Int32) {
        self.rank = rank; self.size = size; self.tag = tag
        heard = [Int64](repeating: 0, count: size)
        received = .allocate(capacity: max(size, 1))
        received.initialize(repeating: 0, count: max(size, 1))
        receives = [UnsafeMutableRawPointer?](repeating: nil, count: size)
        outgoing = .allocate(capacity: Self.ring)
        outgoing.initialize(repeating: 0, count: Self.ring)
        if rank == 0 { for r in 1..<max(size, 1) { post(r) } }
    }

    private func post(_ r: Int) {
        var request: UnsafeMutableRawPointer?
        if vgg_mpi_irecv_i64(received + r, Int32(r), tag, &request) == 0 { receives[r] = request }
    }

    /// Tells rank 0 that collective `sequence` starts here.
    func announce(_ sequence: Int) {
        if rank == 0 { heard[0] = Int64(sequence); return }
        let slot = outgoing + (next % Self.ring)
        next += 1
        slot.pointee = Int64(sequence)
        var request: UnsafeMutableRawPointer?
        if vgg_mpi_isend_i64(slot, 0, tag, &request) == 0 { vgg_mpi_request_free(&request) }
    }

    /// On rank 0: takes in the announcements that arrived.
    func listen() {
        guard rank == 0 else { return }
        for r in 1..<size {
            while receives[r] != nil {
                var done: Int32 = 0
                guard vgg_mpi_test(&receives[r], &done) == 0, done != 0 else { break }
                heard[r] = max(heard[r], received[r])
                post(r)
            }
        }
    }

    /// The ranks whose last announcement is older than `sequence`.
    func behind(_ sequence: Int) -> [Int] {
        listen()
        return (0..<size).filter { heard[$0] < Int64(sequence) }
    }

    func close() {
        for r in receives.indices where receives[r] != nil {
            vgg_mpi_cancel(&receives[r])
            vgg_mpi_request_free(&receives[r])
        }
    }

    deinit {
        received.deallocate()
        outgoing.deallocate()
    }
}
