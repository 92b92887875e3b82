import SafeTensorsFormat
/// A tensor of a `torch.save` file before its values are read: a view of a storage with an
/// element offset, sizes and strides (in elements), as `torch._utils._rebuild_tensor_v2`
/// receives them. Views may be non-contiguous (a transposed tensor) and several may share
/// one storage.
public struct TorchTensorReference: Equatable, Sendable {
    public let storage: TorchStorageReference
    public let offset: Int
    public let shape: [Int]
    public let strides: [Int]

    public init(storage: TorchStorageReference, offset: Int, shape: [Int], strides: [Int]) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = strides
    }

    /// Number of elements (1 for a scalar of shape []).
    public var count: Int { shape.reduce(1, *) }

    /// Whether the view is the storage's elements `offset ..< offset + count` in row-major order.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// Checks the view against its storage: shape and strides of equal rank, nothing
    /// negative, and every element inside the storage. Returns a problem, or nil when it fits.
    public func problem() -> String? {
        guard shape.count == strides.count else { return "shape \(shape) and strides \(strides) differ in rank" }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            return "negative offset, size or stride (offset \(offset), shape \(shape), strides \(strides))"
        }
        var elements = 1
        for s in shape {
            let (p, overflow) = elements.multipliedReportingOverflow(by: s)
            if overflow { return "shape \(shape) has too many elements" }
            elements = p
        }
        if elements == 0 { return offset <= storage.count ? nil : "offset \(offset) is past the storage's \(storage.count) elements" }
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (step, o1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, o2) = last.addingReportingOverflow(step)
            if o1 || o2 { return "strides \(strides) overflow" }
            last = sum
        }
        guard last < storage.count else {
            return "the view (offset \(offset), shape \(shape), strides \(strides)) reaches element \(last) of a storage of \(storage.count)"
        }
        return nil
    }

    /// The view's values in row-major order, gathered from the storage's `values`
    /// (which must hold `storage.count` elements; `problem()` must be nil).
    public func gather(from values: [Float]) -> [Float] {
        let n = count
        if isContiguous { return offset == 0 && n == values.count ? values : Array(values[offset..<(offset + n)]) }
        var out = [Float](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: shape.count)
        var position = offset
        for i in 0..<n {
            out[i] = values[position]
            // Odometer over the dimensions, last fastest.
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                position += strides[d]
                if index[d] < shape[d] { break }
                position -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
