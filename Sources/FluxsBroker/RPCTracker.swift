// Matchtags and callbacks for requests that a broker-side endpoint (a module, or the
// broker itself) sends: the one place that pairs responses with their callers.
import FluxsMessage

/// Pairs responses with the callbacks of the requests that asked for them.
struct RPCTracker {
    private var nextMatchtag: UInt32 = 0
    private var pending: [UInt32: (Message) -> Void] = [:]

    /// Registers a callback and returns the matchtag for the request.
    mutating func register(_ callback: @escaping (Message) -> Void) -> UInt32 {
        nextMatchtag &+= 1
        if nextMatchtag == 0 { nextMatchtag = 1 }
        pending[nextMatchtag] = callback
        return nextMatchtag
    }

    /// The callback for a response; forgotten when the response is the last one.
    mutating func callback(for response: Message) -> ((Message) -> Void)? {
        guard let callback = pending[response.matchtag] else { return nil }
        if !response.flags.contains(.streaming) || response.errnum != 0 { pending[response.matchtag] = nil }
        return callback
    }

    /// Drops every pending callback.
    mutating func removeAll() { pending.removeAll() }
}
