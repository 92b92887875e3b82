import Support
import Tensors

/// One backend's run of one check: creates the check's tensors in that backend's memory,
/// times its ops and keeps a host copy of every output, by phase (`forward`, `backward`, …).
///
/// A check's body runs once with a `CheckRun` of the backend under test and once with one
/// of the other backend; the two are then compared output by output.
public final class CheckRun {
    /// The outputs of one phase, in the order they were recorded, and the time its ops took.
    public struct Phase {
        public var name: String
        public var seconds: Double = 0
        public var outputs: [(name: String, values: [Float], criterion: OutputCriterion)] = []
    }

    public let backend: any Backend
    /// The op tolerance (`OutputCriterion.close` with it is the default criterion).
    public let tolerance: Double
    /// The end-to-end tolerance.
    public let networkTolerance: Double
    public private(set) var phases: [Phase] = []

    public init(backend: any Backend, tolerance: Double, networkTolerance: Double) {
        self.backend = backend; self.tolerance = tolerance; self.networkTolerance = networkTolerance
    }

    /// A tensor holding `values` (memory order) in the backend's memory.
    public func tensor(_ values: [Float], _ shape: [Int], layout: MemoryLayout4D = .nhwc) -> Tensor {
        Tensor(values, shape: shape, layout: layout, on: backend)
    }

    /// An output tensor in the backend's memory with every element `value`: NaN by default,
    /// so that an element the op does not write fails the comparison.
    public func output(_ shape: [Int], layout: MemoryLayout4D = .nhwc, filledWith value: Float = .nan) -> Tensor {
        let t = Tensor(shape: shape, layout: layout, on: backend)
        t.fill(value)
        return t
    }

    /// Runs `body` and waits for the backend (`synchronize`), adding the time to `phase`.
    @discardableResult
    public func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        let start = Clock.now()
        let result = try body()
        backend.synchronize()
        phases[index(of: phase)].seconds += Clock.now() - start
        return result
    }

    /// Keeps a host copy of `tensor` as output `name` of `phase`.
    public func record(_ phase: String, _ name: String, _ tensor: Tensor, _ criterion: OutputCriterion? = nil) {
        record(phase, name, values: tensor.toArray(), criterion)
    }

    /// Keeps `values` as output `name` of `phase`; the criterion defaults to the op tolerance.
    public func record(_ phase: String, _ name: String, values: [Float], _ criterion: OutputCriterion? = nil) {
        phases[index(of: phase)].outputs.append((name, values, criterion ?? .close(tolerance: tolerance, scale: 0)))
    }

    /// The op tolerance with a floor under the scale (outputs that are differences of larger terms).
    public func close(scale: Float) -> OutputCriterion { .close(tolerance: tolerance, scale: Double(scale)) }

    /// The phase named `name`, if anything was timed or recorded in it.
    public func phase(named name: String) -> Phase? { phases.first { $0.name == name } }

    /// The index of the phase named `name`, created on first use.
    private func index(of name: String) -> Int {
        if let i = phases.firstIndex(where: { $0.name == name }) { return i }
        phases.append(Phase(name: name))
        return phases.count - 1
    }
}
