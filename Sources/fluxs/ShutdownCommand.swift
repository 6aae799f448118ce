// `fluxs shutdown`: ask the instance to stop, then wait until its broker is gone.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// Stops the enclosing instance.
struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Shut down the instance: its initial program is terminated and its brokers exit.")

    @Option(help: "Why, for the log.")
    var reason: String = "fluxs shutdown"
    @Option(help: "Seconds to wait for the broker to exit (default 60).")
    var timeout: Double = 60
    @Flag(help: "Do not wait for the broker to exit.")
    var noWait = false

    func run() throws {
        // Run from the initial program, we are in the group the broker is about to
        // terminate: outlive that, to see the broker go.
        if !noWait {
            signal(SIGTERM, SIG_IGN)
            signal(SIGHUP, SIG_IGN)
        }
        try Instance.with { handle in
            try handle.rpc("broker.shutdown", ["reason": .string(reason)], timeout: timeout)
            guard !noWait else { return }
            // The broker closes every connection when it has finished.
            while true {
                do {
                    _ = try handle.receive(timeout: timeout)
                } catch let error as ServiceError where error.errnum == ECONNRESET {
                    return
                } catch let error as ServiceError where error.errnum == ETIMEDOUT {
                    throw CommandFailure("the broker did not exit within \(timeout)s")
                }
            }
        }
    }
}
