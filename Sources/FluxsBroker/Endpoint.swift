// Anything the router can hand a message to: a local client connection or a module.
// Each has an identity that goes on a request's route stack, so that the response can
// find its way back.
import FluxsMessage

/// A destination for messages inside a broker.
public protocol Endpoint: AnyObject {
    /// The identity pushed on the route stack of the requests it sends.
    var id: String { get }
    /// Hands a message to the endpoint (a client gets it written to its socket).
    func deliver(_ message: Message)
}
