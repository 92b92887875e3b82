// Temporary stand-in until the reference backend lands.
import Tensors
public final class ReferenceBackend {
    public init(threads: Int? = nil) {}
}
