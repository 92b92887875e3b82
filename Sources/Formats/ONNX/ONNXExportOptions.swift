/// What `ONNXExporter` writes besides the layers: the opset, a final softmax, the names of
/// the graph's input and output, and the model's metadata (preprocessing, class names).
public struct ONNXExportOptions: Sendable {
    /// The ONNX operator set version (17 or later: every op used has kept its form since).
    public var opset: Int = 17
    /// Appends a Softmax over the classes: the output is then probabilities, not logits.
    public var softmax = false
    /// The graph's input name (float32 `[batch, C, H, W]`, batch left free).
    public var inputName = "input"
    /// The graph's output name (`[batch, classes]`); default `logits`, or `probabilities` with `softmax`.
    public var outputName: String?
    /// Key-value pairs stored in the model's `metadata_props`, in this order.
    public var metadata: [(key: String, value: String)] = []
    /// The graph's name and the model's producer fields.
    public var graphName = "vgg"
    public var producerName = "vgg-swift"
    public var producerVersion = ""

    public init() {}
}
