import NN

/// §3.1's pre-initialisation: a deeper configuration starts with the first four
/// convolutional layers and the three fully connected layers of a trained net A.
///
/// The paper does not say how A's layers map to a deeper net's, whose second layer has
/// another shape (64→64 instead of 64→128). Each of A's first four convolutions is copied
/// into the first not-yet-used convolution of the deeper net with the same shape, in order
/// (for D: layers 1, 3, 5, 6 — the first layers of the first three stages), which is the
/// reading that keeps every copied filter in the same place in the hierarchy.
public enum Preinitialization {
    /// Copies; returns the (source, destination) names of the copied layers.
    @discardableResult
    public static func copy(from netA: Sequential, into deeper: Sequential) throws -> [(String, String)] {
        let srcConvs = netA.layers.compactMap { l in (l.layer as? Conv2d).map { (l.name, $0) } }
        let dstConvs = deeper.layers.compactMap { l in (l.layer as? Conv2d).map { (l.name, $0) } }
        var copied: [(String, String)] = []
        var next = 0
        for (srcName, src) in srcConvs.prefix(4) {
            guard let j = dstConvs[next...].firstIndex(where: { $0.1.weight.shape == src.weight.shape }) else {
                throw ShapeError("pre-initialisation: no convolution of shape \(src.weight.shape) left for \(srcName)")
            }
            dstConvs[j].1.weight.value.copy(from: src.weight.value)
            dstConvs[j].1.bias.value.copy(from: src.bias.value)
            copied.append((srcName, dstConvs[j].0))
            next = j + 1
        }
        let srcFC = netA.layers.compactMap { l in (l.layer as? Linear).map { (l.name, $0) } }
        let dstFC = deeper.layers.compactMap { l in (l.layer as? Linear).map { (l.name, $0) } }
        guard srcFC.count == 3, dstFC.count == 3 else { throw ShapeError("pre-initialisation needs three fully connected layers in both nets") }
        for (s, d) in zip(srcFC, dstFC) {
            guard s.1.weight.shape == d.1.weight.shape else {
                throw ShapeError("pre-initialisation: \(s.0) has shape \(s.1.weight.shape) but \(d.0) has \(d.1.weight.shape)")
            }
            d.1.weight.value.copy(from: s.1.weight.value)
            d.1.bias.value.copy(from: s.1.bias.value)
            copied.append((s.0, d.0))
        }
        return copied
    }
}
