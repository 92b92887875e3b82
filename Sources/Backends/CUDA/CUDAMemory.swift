import CCUDA
import Foundation
@_spi(BackendImplementation) import Tensors

/// One GPU's memory: `cuMemAlloc`ations, zero-filled on the backend's stream, and copies
/// to and from the host. Host-to-device copies go through a ring of pinned staging buffers
/// and return at once (the copy runs on the stream in order with the kernels, while the
/// host goes on); device-to-host copies wait for the work queued before them.
///
/// It counts the bytes it holds, and their peak, for `vgg bench`.
public final class CUDAMemory: MemorySpace, @unchecked Sendable {
    public let device: Device
    private let lock = NSLock()
    private var held = 0
    private var peak = 0
    private var staging: [StagingBuffer] = []
    private var nextStaging = 0

    /// A pinned host buffer and the event recorded after its last copy.
    private final class StagingBuffer {
        var pointer: UnsafeMutableRawPointer?
        var capacity = 0
        var event: UnsafeMutableRawPointer?
        var inFlight = false
    }

    /// Copies up to this size (input batches) go through the pinned ring; larger ones do not.
    static let largestStagedCopy = 256 << 20

    init(ordinal: Int) {
        device = .cuda(ordinal: ordinal)
        staging = (0..<4).map { _ in StagingBuffer() }
    }

    /// Bytes of device memory held by tensors now, and at most so far.
    public var bytesHeld: Int { lock.withLock { held } }
    public var peakBytesHeld: Int { lock.withLock { peak } }

    /// Counts memory the backend holds outside tensors (workspaces, scratch).
    func account(_ bytes: Int) {
        lock.withLock { held += bytes; peak = max(peak, held) }
    }

    public func allocate(count: Int) -> Storage {
        precondition(count >= 0, "negative element count \(count)")
        vgg_cuda_make_current()
        var pointer: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * 4
        if vgg_cuda_malloc(&pointer, bytes) != 0 || pointer == nil {
            var free = 0, total = 0
            _ = vgg_cuda_memory_info(&free, &total)
            fatalError("cuda: out of device memory allocating \(bytes >> 20) MiB (\(free >> 20) MiB free of \(total >> 20) MiB; this process holds \(bytesHeld >> 20) MiB): \(cudaLastError())")
        }
        cudaCheck(vgg_cuda_memset32(pointer, 0, max(count, 1)), "zero-filling \(count) elements")
        account(bytes)
        return Storage(address: pointer!, count: count, memory: self)
    }

    public func deallocate(address: UnsafeMutableRawPointer, count: Int) {
        vgg_cuda_make_current()
        _ = vgg_cuda_free(address)
        account(-max(count, 1) * 4)
    }

    public func copy(fromHost source: UnsafeRawPointer, to storage: Storage, offset: Int, count: Int) {
        check(storage, offset, count)
        guard count > 0 else { return }
        vgg_cuda_make_current()
        let bytes = 4 * count
        if bytes > Self.largestStagedCopy {
            // Weights of a large layer, once: straight from the caller's memory (the driver
            // returns once it has taken the bytes), no pinned buffer of that size kept.
            cudaCheck(vgg_cuda_copy_to_device(storage.address + 4 * offset, source, bytes), "copying \(bytes) bytes to the device")
            return
        }
        lock.lock()
        let buffer = staging[nextStaging]
        nextStaging = (nextStaging + 1) % staging.count
        lock.unlock()
        if buffer.inFlight { cudaCheck(vgg_cuda_event_wait(buffer.event), "waiting for a staging copy") }
        if buffer.capacity < bytes {
            if let p = buffer.pointer { _ = vgg_cuda_host_free(p) }
            buffer.pointer = nil
            let capacity = max(bytes, 1 << 16)
            cudaCheck(vgg_cuda_host_alloc(&buffer.pointer, capacity), "allocating \(capacity) bytes of pinned host memory")
            buffer.capacity = capacity
        }
        if buffer.event == nil { cudaCheck(vgg_cuda_event_create(&buffer.event), "creating an event") }
        buffer.pointer!.copyMemory(from: source, byteCount: bytes)
        cudaCheck(vgg_cuda_copy_to_device(storage.address + 4 * offset, buffer.pointer, bytes), "copying \(bytes) bytes to the device")
        cudaCheck(vgg_cuda_event_record(buffer.event), "recording an event")
        buffer.inFlight = true
    }

    public func copy(from storage: Storage, offset: Int, toHost destination: UnsafeMutableRawPointer, count: Int) {
        check(storage, offset, count)
        guard count > 0 else { return }
        vgg_cuda_make_current()
        cudaCheck(vgg_cuda_copy_to_host(destination, storage.address + 4 * offset, 4 * count), "copying \(4 * count) bytes to the host")
    }

    public func copy(from source: Storage, offset sourceOffset: Int, to destination: Storage, offset destinationOffset: Int, count: Int) {
        check(source, sourceOffset, count)
        check(destination, destinationOffset, count)
        guard count > 0 else { return }
        vgg_cuda_make_current()
        cudaCheck(vgg_cuda_copy_device(destination.address + 4 * destinationOffset, source.address + 4 * sourceOffset, 4 * count),
                  "copying \(4 * count) bytes on the device")
    }

    public func fill(_ storage: Storage, offset: Int, count: Int, with value: Float) {
        check(storage, offset, count)
        vgg_cuda_make_current()
        cudaCheck(vgg_cuda_memset32(storage.address + 4 * offset, value.bitPattern, count), "filling \(count) elements")
    }

    private func check(_ s: Storage, _ offset: Int, _ count: Int) {
        precondition(s.device == device, "\(device) memory asked to copy \(s.device) memory")
        precondition(offset >= 0 && count >= 0 && offset + count <= s.count,
                     "elements \(offset)..<\(offset + count) outside a storage of \(s.count)")
    }
}
