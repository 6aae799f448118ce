// The one error convention end to end: an errno and a short message for people. A
// service throws it, the broker turns it into an error response (errnum + text), the
// client library turns that back into a ServiceError, and the CLI prints it as
// `fluxs-CMD: error: MESSAGE`.
#if canImport(Glibc)
import Glibc
#endif

/// An error with an errno and a message, as carried by error responses.
public struct ServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errno, e.g. ENOSYS.
    public var errnum: Int32
    /// What went wrong, for people; the errno's own text when a service gave none.
    public var message: String

    /// Makes an error; an empty message stands for the errno's own text.
    public init(_ errnum: Int32, _ message: String = "") {
        self.errnum = errnum
        self.message = message.isEmpty ? ServiceError.text(of: errnum) : message
    }

    /// The error carried by an error response.
    public init(response: Message) {
        self.init(response.errnum, response.errorText)
    }

    public var description: String { message }

    /// The C library's text for an errno ("Function not implemented").
    public static func text(of errnum: Int32) -> String {
        String(cString: strerror(errnum))
    }
}
