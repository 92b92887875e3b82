/// Which pass of a layer runs.
public enum LayerPass: Sendable {
    case forward
    case backward
}
