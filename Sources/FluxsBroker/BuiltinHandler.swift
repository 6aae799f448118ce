// Handlers from a table: each built-in topic with the roles allowed to call it and the
// function that serves it. A handler that names no role is owner-only (today every
// caller is the owner; guests arrive with M10).
import FluxsMessage

/// A built-in request handler.
struct BuiltinHandler {
    /// Roles allowed besides the owner.
    var roles: Roles
    /// Served by rank 0 only: other ranks forward the request there.
    var rootOnly = false
    /// Serves the request; it must respond (now or later) unless the request wants none.
    var run: (Message) -> Void
}
