// Reading the fields of a request payload, checked. A payload comes from any client, a
// guest's included, so every number is converted with `T(exactly:)` and refused with
// EPROTO when it is not an integer of the expected width (or EINVAL when it is outside
// the range the service accepts): never a trapping conversion on the reactor thread,
// where a trap would take the whole broker down with it.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension JSONValue {
    /// The member `key` as an integer of type `T`; nil when absent or null. EPROTO when
    /// it is not an integer or does not fit `T`, EINVAL when it is outside `range`.
    public func integer<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self,
                                              in range: ClosedRange<T>? = nil) throws(ServiceError) -> T? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let wide = value.intValue else { throw ServiceError(EPROTO, "\"\(key)\" must be an integer") }
        guard let exact = T(exactly: wide) else {
            throw ServiceError(EPROTO, "\"\(key)\" is out of range: \(wide) (\(T.min) to \(T.max))")
        }
        if let range, !range.contains(exact) {
            throw ServiceError(EINVAL, "\"\(key)\" must be \(range.lowerBound) to \(range.upperBound), not \(exact)")
        }
        return exact
    }

    /// The member `key` as an integer of type `T`, which the request must have.
    public func requiredInteger<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self,
                                                      in range: ClosedRange<T>? = nil) throws(ServiceError) -> T {
        guard let value = try integer(key, as: type, in: range) else {
            throw ServiceError(EPROTO, "missing \"\(key)\" (an integer) in the request")
        }
        return value
    }

    /// The member `key` as a finite number; nil when absent or null.
    public func number(_ key: String) throws(ServiceError) -> Double? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw ServiceError(EPROTO, "\"\(key)\" must be a finite number")
        }
        return number
    }

    /// The member `key` as a string; nil when absent or null.
    public func string(_ key: String) throws(ServiceError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw ServiceError(EPROTO, "\"\(key)\" must be a string") }
        return text
    }

    /// The member `key` as a string, which the request must have.
    public func requiredString(_ key: String) throws(ServiceError) -> String {
        guard let text = try string(key) else { throw ServiceError(EPROTO, "missing \"\(key)\" in the request") }
        return text
    }

    /// The member `key` as a boolean; nil when absent or null.
    public func flag(_ key: String) throws(ServiceError) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw ServiceError(EPROTO, "\"\(key)\" must be true or false") }
        return flag
    }

    /// The member `key` as a job id (its wire form is a 64-bit integer, RFC 19).
    public func jobID(_ key: String = "id") throws(ServiceError) -> JobID {
        guard let value = self[key], let id = JobID(wire: value) else {
            throw ServiceError(EPROTO, "missing \"\(key)\" (a job id) in the request")
        }
        return id
    }

    /// The member `key` as a user id: nil when absent, `.some(nil)` for -1 (every user),
    /// EPROTO for anything that is not a uid.
    public func userid(_ key: String = "userid") throws(ServiceError) -> UInt32?? {
        guard let value = try integer(key, as: Int64.self) else { return nil }
        if value == -1 { return .some(nil) }
        guard let uid = UInt32(exactly: value) else {
            throw ServiceError(EPROTO, "\"\(key)\" must be a user id (0 to \(UInt32.max)) or -1 for every user, not \(value)")
        }
        return .some(uid)
    }

    /// The member `key` as a signal number, 1 to 64.
    public func signal(_ key: String = "signal") throws(ServiceError) -> Int32? {
        try integer(key, as: Int32.self, in: 1...64)
    }
}

extension Message {
    /// The payload as JSON ({} when empty); EPROTO naming the topic when it is not JSON.
    public func json() throws(ServiceError) -> JSONValue {
        if let value { return value }
        if payload.isEmpty { return [:] }
        do { return try JSONValue(parsing: payload) } catch {
            throw ServiceError(EPROTO, "\(topic): payload is not JSON: \(error.message)")
        }
    }
}
