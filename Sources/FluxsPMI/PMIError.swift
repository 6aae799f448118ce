// The error of the pure PMI code: a line that is not PMI-1, a node layout that does not
// cover the job. The I/O layers (PMIClient, PMISocketServer) turn it into a ServiceError
// with EPROTO or EINVAL, so callers above this library see one error convention.

/// A PMI-1 protocol or configuration error, for people.
public struct PMIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Makes an error with a message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
