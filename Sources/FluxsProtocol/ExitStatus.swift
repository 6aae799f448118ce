// How a process, a task or a job ended, and its one encoding: the wait(2) status of
// RFC 21's finish event (an exit code in bits 8-15, or a signal in bits 0-6).
// A shell reports its job on its node this way too: it exits with its tasks' code, or
// is killed by their signal (it raises it on itself), so an exit code of 130 and
// SIGINT never look alike.

/// How something ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It exited with a code (0-255).
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// Decodes a wait status.
    public init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        if signal != 0 && signal != 0x7f {
            self = .signaled(signal)
        } else {
            self = .exited((waitStatus >> 8) & 0xff)
        }
    }

    /// The wait status that encodes it.
    public var waitStatus: Int32 {
        switch self {
        case .exited(let code): (code & 0xff) << 8
        case .signaled(let signo): signo & 0x7f
        }
    }

    /// The shell's view: the code, or 128 + the signal (what `fluxs run` exits with).
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signo): 128 + signo
        }
    }

    /// Whether it ended well (exit code 0).
    public var succeeded: Bool { self == .exited(0) }

    /// The worse of two ends, as a job's status is its tasks' worst: the larger shell
    /// code; a signal over an exit code that reads the same.
    public func worse(_ other: ExitStatus) -> ExitStatus {
        if other.shellCode != shellCode { return other.shellCode > shellCode ? other : self }
        if case .signaled = other { return other }
        return self
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with \(code)"
        case .signaled(let signo): "killed by signal \(signo)"
        }
    }
}
