/// Allocates device memory and moves bytes between it and the host: the memory half of a
/// backend. Element offsets and counts are in float32 elements.
///
/// The host-side calls take raw host buffers; they are the only way bytes cross between a
/// device and the host, and they are explicit copies.
public protocol MemorySpace: AnyObject, Sendable {
    /// The device whose memory this is.
    var device: Device { get }
    /// `count` zero-filled elements.
    func allocate(count: Int) -> Storage
    /// Gives memory back (called by `Storage` when it goes away).
    func deallocate(address: UnsafeMutableRawPointer, count: Int)
    /// Copies `count` elements from the host into `storage` at `offset`.
    func copy(fromHost source: UnsafeRawPointer, to storage: Storage, offset: Int, count: Int)
    /// Copies `count` elements of `storage` from `offset` to the host.
    func copy(from storage: Storage, offset: Int, toHost destination: UnsafeMutableRawPointer, count: Int)
    /// Copies `count` elements between two storages of this memory space.
    func copy(from source: Storage, offset sourceOffset: Int, to destination: Storage, offset destinationOffset: Int, count: Int)
    /// Sets `count` elements of `storage` from `offset` to `value`.
    func fill(_ storage: Storage, offset: Int, count: Int, with value: Float)
}
