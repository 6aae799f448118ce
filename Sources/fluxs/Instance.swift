// The CLI's way into the enclosing instance: a synchronous handle on FLUXS_URI.
import FluxsClient
import FluxsFormats
import FluxsMessage

/// Connects commands to the instance they run in.
enum Instance {
    /// A handle on FLUXS_URI (or a failure naming what is wrong).
    static func connect() throws(CommandFailure) -> FluxsHandle {
        do { return try FluxsHandle() } catch { throw CommandFailure(error.message) }
    }

    /// Runs `body` with a handle, turning service errors into the CLI's failure line.
    static func with<T>(_ body: (FluxsHandle) throws -> T) throws -> T {
        let handle = try connect()
        do {
            return try body(handle)
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
    }
}
