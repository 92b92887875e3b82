/// Watches a `Sequential` run its layers, one call before and one after each layer's
/// forward or backward pass (`vgg bench` times layers this way).
public protocol LayerObserver: AnyObject {
    func willRun(layer index: Int, pass: LayerPass)
    func didRun(layer index: Int, pass: LayerPass)
}

