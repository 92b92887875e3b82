import Foundation

/// The host's memory, 64-byte aligned (what AVX-512 loads and oneDNN prefer): the memory
/// space of the `cpu` and `reference` backends, which can therefore hand tensors to each
/// other without copies.
public final class HostMemory: MemorySpace, @unchecked Sendable {
    /// There is one host.
    public static let shared = HostMemory()
    private init() {}

    public var device: Device { .host }

    public func allocate(count: Int) -> Storage {
        precondition(count >= 0, "negative element count \(count)")
        let bytes = max(count, 1) * 4
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, (bytes + 63) / 64 * 64) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        return Storage(address: raw, count: count, memory: self)
    }

    public func deallocate(address: UnsafeMutableRawPointer, count: Int) { free(address) }

    public func copy(fromHost source: UnsafeRawPointer, to storage: Storage, offset: Int, count: Int) {
        check(storage, offset, count)
        (storage.address + 4 * offset).copyMemory(from: source, byteCount: 4 * count)
    }

    public func copy(from storage: Storage, offset: Int, toHost destination: UnsafeMutableRawPointer, count: Int) {
        check(storage, offset, count)
        destination.copyMemory(from: storage.address + 4 * offset, byteCount: 4 * count)
    }

    public func copy(from source: Storage, offset sourceOffset: Int, to destination: Storage, offset destinationOffset: Int, count: Int) {
        check(source, sourceOffset, count)
        check(destination, destinationOffset, count)
        memmove(destination.address + 4 * destinationOffset, source.address + 4 * sourceOffset, 4 * count)
    }

    public func fill(_ storage: Storage, offset: Int, count: Int, with value: Float) {
        check(storage, offset, count)
        (storage.address.assumingMemoryBound(to: Float.self) + offset).update(repeating: value, count: count)
    }

    private func check(_ s: Storage, _ offset: Int, _ count: Int) {
        precondition(s.device == .host, "host memory asked to copy \(s.device) memory")
        precondition(offset >= 0 && count >= 0 && offset + count <= s.count,
                     "elements \(offset)..<\(offset + count) outside a storage of \(s.count)")
    }
}
