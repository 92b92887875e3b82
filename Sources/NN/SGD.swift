import Dispatch
import Kernels

/// Stochastic gradient descent with momentum, weight decay and an optional Nesterov
/// variant, with PyTorch's exact update:
///
///     g ← ∇ + λ·p;  b ← μ·b + (1−τ)·g  (b ← g on the first step);
///     g ← g + μ·b (Nesterov) or g ← b;  p ← p − η·g
///
/// scaled per parameter by its learning-rate and weight-decay multipliers. Momentum
/// buffers live in one flat buffer aligned with the parameter store.
public final class SGD {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var dampening: Float
    public var nesterov: Bool
    public let store: ParameterStore
    /// Momentum buffers, one flat tensor laid out like the parameter store.
    public let momentumBuffer: Tensor
    /// Number of steps taken (the first initialises the momentum buffer).
    public var steps: Int = 0

    public init(store: ParameterStore, learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 5e-4,
                dampening: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.store = store
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
        self.dampening = dampening; self.nesterov = nesterov
        momentumBuffer = Tensor(shape: [store.count])
    }

    /// Applies one update from the gradients currently in the store. Element-wise and
    /// independent per element, so it is split into chunks run on all cores.
    public func step() {
        let first = steps == 0
        var chunks: [(offset: Int, count: Int, lr: Float, wd: Float)] = []
        let chunk = 1 << 16
        for (p, offset) in store.entries where p.isTrainable {
            let lr = learningRate * p.learningRateMultiplier
            let wd = weightDecay * p.weightDecayMultiplier
            var o = 0
            while o < p.count {
                chunks.append((offset + o, min(chunk, p.count - o), lr, wd))
                o += chunk
            }
        }
        let values = store.values.data, grads = store.gradients.data, buffers = momentumBuffer.data
        let mu = momentum, damp = 1 - dampening, nesterov = self.nesterov
        DispatchQueue.concurrentPerform(iterations: chunks.count) { k in
            let c = chunks[k]
            let w = values + c.offset, g = grads + c.offset, b = buffers + c.offset
            let lr = c.lr, wd = c.wd
            if mu == 0 {
                for i in 0..<c.count { w[i] -= lr * (g[i] + wd * w[i]) }
                return
            }
            for i in 0..<c.count {
                let d = g[i] + wd * w[i]
                let buf = first ? d : mu * b[i] + damp * d
                b[i] = buf
                w[i] -= lr * (nesterov ? d + mu * buf : buf)
            }
        }
        steps += 1
    }
}
