import Support
import NN
import Tensors

/// Times each layer of a network through `Sequential`'s observer hook (waiting for the
/// backend before reading the clock).
final class LayerTimer: LayerObserver {
    private(set) var forward: [Double]
    private(set) var backward: [Double]
    private let backend: any Backend
    private var start = 0.0

    init(layers: Int, backend: any Backend) {
        forward = [Double](repeating: 0, count: layers)
        backward = forward
        self.backend = backend
    }

    func reset() {
        for i in forward.indices { forward[i] = 0; backward[i] = 0 }
    }

    func willRun(layer index: Int, pass: LayerPass) {
        backend.synchronize()
        start = Clock.now()
    }

    func didRun(layer index: Int, pass: LayerPass) {
        backend.synchronize()
        let t = Clock.now() - start
        switch pass {
        case .forward: forward[index] += t
        case .backward: backward[index] += t
        }
    }
}
