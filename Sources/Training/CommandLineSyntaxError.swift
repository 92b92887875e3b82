/// A command-line option value that does not follow its syntax (`CommandLineSyntax`):
/// the option, the value given and what was expected.
public struct CommandLineSyntaxError: Error, CustomStringConvertible, Sendable {
    public let option: String
    public let value: String
    public let expected: String

    public init(option: String, value: String, expected: String) {
        self.option = option; self.value = value; self.expected = expected
    }

    public var description: String { "\(option) '\(value)': expected \(expected)" }
}
