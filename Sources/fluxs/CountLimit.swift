// The `-c/--count N` limit shared by the commands that print until stopped
// (`fluxs ping`, `fluxs event sub`, `fluxs kvs watch`, `fluxs kvs eventlog get -w`).
import ArgumentParser

/// Rejects a count limit below 1, which would otherwise end the command before it printed anything.
func validateCountLimit(_ count: Int?) throws {
    if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
}
