// What every service's tests share: a request the service must refuse, as a row of a
// table (what is sent, the errno, words its message must hold).
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A request a service must refuse.
struct Refusal: CustomTestStringConvertible, Sendable {
    var name: String
    var method: ServiceMethod
    var payload: JSONValue = [:]
    /// Payload bytes sent instead of `payload` (not JSON, say).
    var raw: String?
    var flags: MessageFlags = []
    var errnum: Int32 = EPROTO
    /// Words the error message must hold.
    var says: String
    var testDescription: String { name }
}
