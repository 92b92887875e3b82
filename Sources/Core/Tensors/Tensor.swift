/// A dense float32 tensor: a shape and a layout over a range of a `Storage`.
///
/// Tensors are allocated once per shape and reused across steps; layers write into their
/// own preallocated outputs. A view (`reshaped`, `view`) shares its storage and keeps it
/// alive. Elements are reached only through a backend's ops or through explicit copies
/// to and from the host (`toArray`, `copy(from:)`); backends alone see the address
/// (`@_spi(BackendImplementation)`).
public final class Tensor: @unchecked Sendable {
    public let storage: Storage
    /// Position of element 0 in the storage, in elements.
    public let offset: Int
    /// Logical shape, outermost first (`[N, C, H, W]` for images, `[N, F]` for features).
    public let shape: [Int]
    /// Memory order of a 4-D tensor; ignored for other ranks.
    public let layout: MemoryLayout4D
    /// Number of elements.
    public let count: Int

    public var device: Device { storage.device }
    public var memory: any MemorySpace { storage.memory }

    /// A zero-filled tensor in `memory`.
    public init(shape: [Int], layout: MemoryLayout4D = .nchw, on memory: any MemorySpace) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let n = shape.reduce(1, *)
        self.storage = memory.allocate(count: n)
        self.offset = 0
        self.shape = shape
        self.layout = layout
        self.count = n
    }

    /// A zero-filled tensor in `backend`'s memory.
    public convenience init(shape: [Int], layout: MemoryLayout4D = .nchw, on backend: any Backend) {
        self.init(shape: shape, layout: layout, on: backend.memory)
    }

    /// A tensor holding a copy of `values` (in memory order).
    public convenience init(_ values: [Float], shape: [Int], layout: MemoryLayout4D = .nchw, on memory: any MemorySpace) {
        self.init(shape: shape, layout: layout, on: memory)
        copy(from: values)
    }

    /// A tensor holding a copy of `values` (in memory order) in `backend`'s memory.
    public convenience init(_ values: [Float], shape: [Int], layout: MemoryLayout4D = .nchw, on backend: any Backend) {
        self.init(values, shape: shape, layout: layout, on: backend.memory)
    }

    /// A view of `storage` from `offset` (no copy); it keeps the storage alive.
    public init(viewing storage: Storage, offset: Int = 0, shape: [Int], layout: MemoryLayout4D = .nchw) {
        let n = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 } && offset >= 0 && offset + n <= storage.count,
                     "a view of \(shape) at \(offset) does not fit a storage of \(storage.count) elements")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.layout = layout
        self.count = n
    }

    /// A view of part of this tensor's memory: `shape` from element `offset` on (no copy).
    public func view(offset: Int = 0, shape: [Int], layout: MemoryLayout4D? = nil) -> Tensor {
        precondition(offset >= 0 && offset + shape.reduce(1, *) <= count, "view \(shape) at \(offset) outside \(self.shape)")
        return Tensor(viewing: storage, offset: self.offset + offset, shape: shape, layout: layout ?? self.layout)
    }

    /// The same elements under another shape (no copy).
    public func reshaped(_ newShape: [Int], layout: MemoryLayout4D? = nil) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return view(shape: newShape, layout: layout)
    }

    // MARK: explicit copies to and from the host

    /// A host copy of the elements, in memory order.
    public func toArray() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { memory.copy(from: storage, offset: offset, toHost: buffer.baseAddress!, count: count) }
            initialized = count
        }
    }

    /// A host copy of the elements in NCHW order, whatever the layout.
    public func nchwArray() -> [Float] {
        guard shape.count == 4, layout == .nhwc else { return toArray() }
        return HostLayout.nchw(fromNHWC: toArray(), shape: shape)
    }

    /// Copies host values (memory order, `count` of them) into the tensor.
    public func copy(from values: [Float]) {
        precondition(values.count == count, "\(values.count) values for a tensor of shape \(shape)")
        values.withUnsafeBufferPointer { copy(fromHost: $0) }
    }

    /// Copies `count` floats from a host buffer (a loader's batch) into the tensor.
    public func copy(fromHost buffer: UnsafeBufferPointer<Float>) {
        precondition(buffer.count == count, "\(buffer.count) values for a tensor of shape \(shape)")
        if count > 0 { memory.copy(fromHost: buffer.baseAddress!, to: storage, offset: offset, count: count) }
    }

    /// Copies `count` floats from a mutable host buffer (a loader's batch) into the tensor.
    public func copy(fromHost buffer: UnsafeMutableBufferPointer<Float>) { copy(fromHost: UnsafeBufferPointer(buffer)) }

    /// Copies `other`'s elements (same count) in memory order, across memory spaces if need be.
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        guard count > 0 else { return }
        if other.memory === memory {
            memory.copy(from: other.storage, offset: other.offset, to: storage, offset: offset, count: count)
        } else {
            copy(from: other.toArray())
        }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        memory.fill(storage, offset: offset, count: count, with: value)
    }

    /// A tensor of `shape`, reusing `previous`'s memory when it is large enough (a layer
    /// re-planned for a smaller batch allocates nothing); `previous` stays valid.
    public static func reusing(_ previous: Tensor?, shape: [Int], layout: MemoryLayout4D = .nchw, on backend: any Backend) -> Tensor {
        let n = shape.reduce(1, *)
        if let previous, previous.memory === backend.memory, previous.offset == 0, previous.storage.count >= n {
            return Tensor(viewing: previous.storage, shape: shape, layout: layout)
        }
        return Tensor(shape: shape, layout: layout, on: backend)
    }

    // MARK: for backends

    /// The address of element 0 (host pointer or device address).
    @_spi(BackendImplementation) public var address: UnsafeMutableRawPointer { storage.address + 4 * offset }

    /// Element 0 in host memory; only for tensors on the host.
    @_spi(BackendImplementation) public var hostPointer: UnsafeMutablePointer<Float> {
        precondition(device == .host, "host pointer of a tensor on \(device)")
        return address.assumingMemoryBound(to: Float.self)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(shape), \(layout), \(device))" }
}
