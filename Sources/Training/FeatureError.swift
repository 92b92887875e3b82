/// A feature extraction or linear probe that cannot be done, and why.
public struct FeatureError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
