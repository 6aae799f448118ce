// One entry of `attributes.system.dependencies` (RFC 26): a scheme such as
// "afterok" and a value such as a job ID; other keys are kept but not interpreted.

/// A job dependency from a jobspec.
public struct JobspecDependency: Sendable, Hashable {
    /// The dependency scheme, e.g. `afterok`.
    public var scheme: String
    /// The scheme's argument, e.g. a job ID.
    public var value: String

    /// Makes a dependency.
    public init(scheme: String, value: String) {
        self.scheme = scheme
        self.value = value
    }
}
