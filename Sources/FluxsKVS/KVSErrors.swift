// The KVS error wordings of the spec, in one place so every part says the same thing:
// ENOENT `key a.b not found`, EISDIR `a.b is a directory`, ENOTDIR `a is not a directory`,
// EINVAL `a.b is not a string` (append), ENOTEMPTY `a.b is not empty` (unlink).
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// The errors the KVS core throws, with the spec's messages.
public enum KVSErrors {
    /// ENOENT `key KEY not found`.
    public static func notFound(_ key: String) -> ServiceError { ServiceError(ENOENT, "key \(key) not found") }
    /// EISDIR `KEY is a directory`.
    public static func isDirectory(_ key: String) -> ServiceError { ServiceError(EISDIR, "\(key) is a directory") }
    /// ENOTDIR `KEY is not a directory`.
    public static func notDirectory(_ key: String) -> ServiceError { ServiceError(ENOTDIR, "\(key) is not a directory") }
    /// EINVAL `KEY is not a string` (append to a non-string value).
    public static func notString(_ key: String) -> ServiceError { ServiceError(EINVAL, "\(key) is not a string") }
    /// ENOTEMPTY `KEY is not empty` (unlink of a non-empty directory without recursive).
    public static func notEmpty(_ key: String) -> ServiceError {
        ServiceError(ENOTEMPTY, "\(key) is not empty (unlink it recursively)")
    }
    /// EINVAL for a malformed key: `invalid key "KEY": REASON`.
    public static func invalidKey(_ key: String, _ reason: String) -> ServiceError {
        let shown = key.utf8.count <= 80 ? key : String(key.prefix(60)) + "...(\(key.utf8.count) bytes)"
        return ServiceError(EINVAL, "invalid key \"\(shown)\": \(reason)")
    }
    /// EINVAL for an op on "." (the root directory can be read, never written or removed).
    public static func rootNotWritable(_ op: String) -> ServiceError {
        ServiceError(EINVAL, "cannot \(op) the root directory")
    }
    /// ENOENT `namespace NAME not found`.
    public static func namespaceNotFound(_ name: String) -> ServiceError {
        ServiceError(ENOENT, "namespace \(name) not found")
    }
}
