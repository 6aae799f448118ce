// Signing a job request with MUNGE, and checking such a signature (Flux RFC 39): the
// MUNGE payload is the byte 0x01 (SHA-256) and the SHA-256 digest of "HEADER.PAYLOAD";
// munged vouches for the uid that encoded it. A guest's `fluxs submit` signs its
// jobspec so; fluxs-imp (in C) checks it before it runs anything as the guest. The
// check here is the same, for tests and tools. munged is reached through its socket:
// FLUXS_MUNGE_SOCKET when set, else libmunge's default (/run/munge/munge.socket.2).
import CMunge
import CSodium
import FluxsFormats
#if canImport(Glibc)
import Glibc
#endif

/// A failure to sign or check a signature, in words for people.
public struct SignError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// MUNGE signatures of job requests.
public enum MungeSigner {
    /// The byte before the digest in the MUNGE payload: SHA-256.
    static let sha256Type: UInt8 = 1

    /// The socket of munged for this process: FLUXS_MUNGE_SOCKET, else libmunge's default.
    public static var defaultSocket: String? {
        getenv("FLUXS_MUNGE_SOCKET").map { String(cString: $0) }
    }

    /// J for `payload` signed by this process's uid.
    public static func sign(_ payload: [UInt8], socket: String? = defaultSocket) throws(SignError) -> String {
        let signed = SignedRequest.signedPart(payload: payload, userid: getuid(), mechanism: "munge")
        let digest = [sha256Type] + sha256(Array(signed.utf8))
        let context = try Context(socket: socket)
        defer { context.close() }
        var credential: UnsafeMutablePointer<CChar>?
        let status = digest.withUnsafeBytes { munge_encode(&credential, context.raw, $0.baseAddress, Int32($0.count)) }
        guard status == EMUNGE_SUCCESS, let credential else {
            throw SignError("cannot sign the job with MUNGE: \(context.error(status))")
        }
        defer { free(credential) }
        return signed + "." + String(cString: credential)
    }

    /// Checks J as fluxs-imp does: the credential decodes (a replayed or expired
    /// MUNGE credential counts, RFC 39), covers the header and payload, was encoded by
    /// the uid the header names, no longer than `ttl` seconds ago. Returns J read.
    public static func verify(_ text: String, ttl: Double = 7 * 86_400, socket: String? = defaultSocket) throws(SignError) -> SignedRequest {
        let request: SignedRequest
        do { request = try SignedRequest(parsing: text) } catch { throw SignError(error.message) }
        guard request.mechanism == "munge" else { throw SignError("J: mechanism \(request.mechanism) is not munge") }
        let context = try Context(socket: socket)
        defer { context.close() }
        var payload: UnsafeMutableRawPointer?
        var length: Int32 = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        let status = munge_decode(request.signature, context.raw, &payload, &length, &uid, &gid)
        defer { free(payload) }
        guard status == EMUNGE_SUCCESS || status == EMUNGE_CRED_REPLAYED || status == EMUNGE_CRED_EXPIRED else {
            throw SignError("J: the MUNGE credential is refused: \(context.error(status))")
        }
        let decoded = payload.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(length))) } ?? []
        guard decoded == [sha256Type] + sha256(Array(request.signedPart.utf8)) else {
            throw SignError("J: the signature does not cover this header and payload")
        }
        guard uid == request.userid else { throw SignError("J: signed by uid \(uid), but its header says uid \(request.userid)") }
        var encoded: time_t = 0
        fluxs_munge_encode_time(context.raw, &encoded)
        guard Double(time(nil) - encoded) <= ttl else { throw SignError("J: signed more than \(Int(ttl)) s ago") }
        return request
    }

    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        _ = crypto_hash_sha256(&digest, bytes, UInt64(bytes.count))
        return digest
    }

    /// A libmunge context bound to a socket.
    struct Context {
        let raw: munge_ctx_t

        init(socket: String?) throws(SignError) {
            guard let raw = munge_ctx_create() else { throw SignError("cannot make a MUNGE context: out of memory") }
            self.raw = raw
            if let socket, fluxs_munge_set_socket(raw, socket) != EMUNGE_SUCCESS {
                munge_ctx_destroy(raw)
                throw SignError("cannot use the MUNGE socket \(socket)")
            }
        }

        /// libmunge's words for the last failure.
        func error(_ status: munge_err_t) -> String {
            munge_ctx_strerror(raw).map { String(cString: $0) } ?? String(cString: munge_strerror(status))
        }

        func close() { munge_ctx_destroy(raw) }
    }
}
