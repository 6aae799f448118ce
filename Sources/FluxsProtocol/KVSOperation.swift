// One operation of a commit, as the spec's op objects carry it:
// {"op":"put","key":K,"value":JSON} | {"op":"append","key":K,"value":STRING}
// | {"op":"unlink","key":K,"recursive":bool} | {"op":"mkdir","key":K}.
// Parsing checks the shape only (EPROTO for a malformed object, EINVAL for an unknown
// op); keys are checked when the commit applies them (KVSNamespace.components).
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// An operation of a KVS commit.
public enum KVSOperation: Sendable, Hashable {
    /// Writes a value at a key, creating missing parent directories; replaces whatever was there.
    case put(String, JSONValue)
    /// Appends text to the string value at a key, creating it when absent.
    case append(String, String)
    /// Removes a key; a non-empty directory needs `recursive`.
    case unlink(String, recursive: Bool)
    /// Writes an empty directory at a key (replacing whatever was there, as flux-core does).
    case mkdir(String)

    /// The key the operation is about.
    public var key: String {
        switch self {
        case .put(let k, _), .append(let k, _), .unlink(let k, _), .mkdir(let k): k
        }
    }

    /// Reads one op object of a kvs.commit request.
    public init(json: JSONValue) throws(ServiceError) {
        guard case .object(let o) = json else {
            throw ServiceError(EPROTO, "malformed commit op: expected an object, got \(json.kindName)")
        }
        guard case .string(let op)? = o["op"] else {
            throw ServiceError(EPROTO, "malformed commit op: \"op\" must be a string")
        }
        guard case .string(let key)? = o["key"] else {
            throw ServiceError(EPROTO, "malformed commit op: \"key\" must be a string")
        }
        switch op {
        case "put":
            guard let value = o["value"] else {
                throw ServiceError(EPROTO, "malformed commit op: put needs \"value\"")
            }
            self = .put(key, value)
        case "append":
            guard case .string(let text)? = o["value"] else {
                throw ServiceError(EPROTO, "malformed commit op: append needs a string \"value\"")
            }
            self = .append(key, text)
        case "unlink":
            var recursive = false
            if let r = o["recursive"] {
                guard case .bool(let b) = r else {
                    throw ServiceError(EPROTO, "malformed commit op: \"recursive\" must be a boolean")
                }
                recursive = b
            }
            self = .unlink(key, recursive: recursive)
        case "mkdir":
            self = .mkdir(key)
        default:
            throw ServiceError(EINVAL, "unknown commit op \"\(op)\"")
        }
    }

    /// The op object, as a client puts it in a kvs.commit request.
    public var json: JSONValue {
        switch self {
        case .put(let k, let v): ["op": "put", "key": .string(k), "value": v]
        case .append(let k, let s): ["op": "append", "key": .string(k), "value": .string(s)]
        case .unlink(let k, let r): ["op": "unlink", "key": .string(k), "recursive": .bool(r)]
        case .mkdir(let k): ["op": "mkdir", "key": .string(k)]
        }
    }
}
