// `fluxs shutdown [TARGET]`: ask the instance (this one, or the one TARGET names, as
// flux shutdown JOBID does) to stop, then wait until its broker is gone.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Stops the enclosing instance, or the one TARGET names.
struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Shut down the instance: its initial program is terminated and its brokers exit.",
        discussion: """
            TARGET names another instance: a URI (local://PATH), or the id of a job that is an \
            instance (fluxs alloc, fluxs batch), or ids separated by "/" through levels, as \
            fluxs uri takes them. Without it, the enclosing instance (FLUXS_URI).
            """)

    @Option(help: "Why, for the log.")
    var reason: String = "fluxs shutdown"
    @Option(help: "Seconds to wait for the broker to exit (default 60).")
    var timeout: Double = 60
    @Flag(name: [.customLong("no-wait"), .customLong("background")], help: "Do not wait for the broker to exit.")
    var noWait = false
    @Flag(help: "Print only errors (fluxs shutdown prints nothing else anyway).")
    var quiet = false
    @Argument(help: "The instance to shut down: a URI, or job ids separated by \"/\" (default: this one).")
    var target: String?

    func run() throws {
        // Run from the initial program, we are in the group the broker is about to
        // terminate: outlive that, to see the broker go.
        if !noWait {
            signal(SIGTERM, SIG_IGN)
            signal(SIGHUP, SIG_IGN)
        }
        let handle: FluxsHandle
        if let target {
            handle = try Self.connect(target)
        } else {
            handle = try Instance.connect()
        }
        try shutdown(handle)
    }

    /// Asks the broker of `handle` to shut down and, unless --no-wait, waits for it to
    /// close the connection.
    private func shutdown(_ handle: FluxsHandle) throws {
        do {
            try handle.rpc(.broker.shutdown, ["reason": .string(reason)], timeout: timeout)
        } catch {
            throw CommandFailure(error.message)
        }
        guard !noWait else { return }
        // The broker closes every connection when it has finished.
        while true {
            do {
                _ = try handle.receive(timeout: timeout)
            } catch where error.errnum == ECONNRESET {
                return
            } catch where error.errnum == ETIMEDOUT {
                throw CommandFailure("the broker did not exit within \(timeout)s")
            } catch {
                throw CommandFailure(error.message)
            }
        }
    }

    /// A handle on the instance `target` names: a URI, or a path of instance jobs.
    static func connect(_ target: String) throws -> FluxsHandle {
        guard target.contains("://") else { return try InstanceJob.resolve(target).handle }
        do {
            return try FluxsHandle(uri: try FluxsURI(parsing: target))
        } catch {
            throw CommandFailure("cannot connect to \(target): \(error.message)")
        }
    }
}
