/// Memory for `count` float32 elements on one device, allocated by a `MemorySpace` and
/// given back to it when the last tensor that views it goes away (tensors and their views
/// hold their storage strongly, so a view never outlives its memory).
///
/// Its address is for backends only (`@_spi(BackendImplementation)`): layers, networks
/// and the trainer see elements only through explicit copies (`Tensor.toArray()`,
/// `Tensor.copy(from:)`).
public final class Storage: @unchecked Sendable {
    /// Number of float32 elements.
    public let count: Int
    /// The memory space that allocated it, which also moves its bytes.
    public let memory: any MemorySpace
    /// Where the elements live.
    public var device: Device { memory.device }
    /// The address of element 0: a host pointer for host memory, a device address otherwise.
    @_spi(BackendImplementation) public let address: UnsafeMutableRawPointer

    /// Wraps memory that `memory` allocated; it is given back with `memory.deallocate`.
    @_spi(BackendImplementation)
    public init(address: UnsafeMutableRawPointer, count: Int, memory: any MemorySpace) {
        self.address = address
        self.count = count
        self.memory = memory
    }

    deinit { memory.deallocate(address: address, count: count) }
}
