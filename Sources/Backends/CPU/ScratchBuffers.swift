import Foundation

/// A small pool of 64-byte-aligned scratch buffers for data that lives only during one
/// kernel call (activations staged in a kernel's blocked layout, Winograd tiles), owned by
/// one `CPUBackend`.
///
/// Buffers grow to the largest request and are reused, so a network holds only as many
/// as one call needs at a time (at most four: three activations and one set of weights),
/// not one per layer. Thread-safe: concurrent callers get distinct buffers.
final class ScratchBuffers: @unchecked Sendable {
    struct Buffer {
        let pointer: UnsafeMutableRawPointer
        let capacity: Int
    }

    private var free: [Buffer] = []
    private let lock = NSLock()

    deinit { for b in free { Foundation.free(b.pointer) } }

    /// A buffer of at least `bytes` bytes; give it back with `release`.
    func acquire(_ bytes: Int) -> Buffer {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.indices.filter({ free[$0].capacity >= bytes }).min(by: { free[$0].capacity < free[$1].capacity }) {
            return free.remove(at: i)
        }
        if let i = free.indices.max(by: { free[$0].capacity < free[$1].capacity }) {
            Foundation.free(free.remove(at: i).pointer)
        }
        var p: UnsafeMutableRawPointer?
        precondition(posix_memalign(&p, 64, max(bytes, 64)) == 0, "out of memory allocating \(bytes) bytes of scratch")
        return Buffer(pointer: p!, capacity: max(bytes, 64))
    }

    func release(_ buffer: Buffer) {
        lock.lock()
        free.append(buffer)
        lock.unlock()
    }
}
