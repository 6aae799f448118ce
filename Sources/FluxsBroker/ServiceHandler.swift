// One row of a handler table: a method (its topic, who may call it, where it is
// served, from the FluxsProtocol catalog) and the function that serves it. The broker's
// built-in services and every module serve their requests through such tables.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A method and how it is served.
public struct ServiceHandler {
    /// The method served.
    public let method: ServiceMethod
    /// Serves a request, given its decoded payload ({} when empty). It must respond, now
    /// or later, unless the request wants no response; a ServiceError it throws is the
    /// answer (any other error is answered EIO).
    public let run: (Message, JSONValue) throws -> Void

    public init(_ method: ServiceMethod, _ run: @escaping (Message, JSONValue) throws -> Void) {
        self.method = method
        self.run = run
    }

    /// Serves `request` as a frame does: the caller's roles checked against the method's
    /// access, the payload decoded once. Returns the error to answer with (EPERM, EPROTO,
    /// or what the handler threw), nil when the handler took the request.
    func serve(_ request: Message) -> ServiceError? {
        guard method.allows(request.rolemask) else { return ServiceError(EPERM, "\(request.topic) is for the instance owner") }
        do {
            try run(request, try Broker.decodePayload(request))
            return nil
        } catch {
            return error as? ServiceError ?? ServiceError(EIO, "\(request.topic): \(error)")
        }
    }
}
