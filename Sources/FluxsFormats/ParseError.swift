// The one error type of the formats target: a message that names what is wrong
// with the input, meant to be shown to a user as is (it maps to EINVAL on the wire).

/// A parse or validation failure of a format, with a message for people.
public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `idset: "3-1": range is reversed`.
    public var message: String
    /// Makes an error with the given message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
