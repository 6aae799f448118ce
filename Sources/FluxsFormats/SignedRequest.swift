// A signed job request, J (Flux RFC 39, the Flux Security Signature):
//
//     HEADER.PAYLOAD.SIGNATURE
//
// HEADER is an RFC 38 key-value encoding (key NUL type value NUL ...) of at least
// version (i, 1), mechanism (s) and userid (i), in standard base64; PAYLOAD is the
// jobspec's JSON text in standard base64; SIGNATURE is mechanism-specific text without
// NUL or '.': "none" for the none mechanism, a MUNGE credential over SHA-256 of
// "HEADER.PAYLOAD" for munge (FluxsSign makes and checks those; fluxs-imp checks them
// before it runs anything as a guest). Reading J here verifies nothing: it only splits
// it and decodes what anyone may read (the header and the payload).
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A value of an RFC 38 key-value encoding.
public enum SecurityKVValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
}

/// RFC 38 key-value encoding: `key\0Tvalue\0...` with type s (string), i (64-bit
/// integer) or b (boolean); d and t are not used by fluxs and are refused.
public enum SecurityKV {
    /// The encoding of `pairs`, in their order.
    public static func encode(_ pairs: [(String, SecurityKVValue)]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in pairs {
            out += Array(key.utf8) + [0]
            switch value {
            case .string(let text): out += [UInt8(ascii: "s")] + Array(text.utf8)
            case .integer(let number): out += [UInt8(ascii: "i")] + Array(String(number).utf8)
            case .bool(let flag): out += [UInt8(ascii: "b")] + Array((flag ? "true" : "false").utf8)
            }
            out.append(0)
        }
        return out
    }

    /// The pairs of an encoding; a key given twice keeps its last value.
    public static func decode(_ bytes: [UInt8]) throws(ParseError) -> [String: SecurityKVValue] {
        var pairs: [String: SecurityKVValue] = [:]
        var fields = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.last?.isEmpty == true else { throw ParseError("key-value encoding does not end with NUL") }
        fields.removeLast()
        guard fields.count % 2 == 0 else { throw ParseError("key-value encoding has a key without a value") }
        for index in stride(from: 0, to: fields.count, by: 2) {
            let key = String(decoding: fields[index], as: UTF8.self)
            let field = fields[index + 1]
            guard !key.isEmpty else { throw ParseError("key-value encoding has an empty key") }
            guard let type = field.first else { throw ParseError("key \(key) has no type") }
            let text = String(decoding: field.dropFirst(), as: UTF8.self)
            switch type {
            case UInt8(ascii: "s"): pairs[key] = .string(text)
            case UInt8(ascii: "i"):
                guard let number = Int64(text) else { throw ParseError("key \(key): \"\(text)\" is not an integer") }
                pairs[key] = .integer(number)
            case UInt8(ascii: "b"):
                guard text == "true" || text == "false" else { throw ParseError("key \(key): \"\(text)\" is not a boolean") }
                pairs[key] = .bool(text == "true")
            default:
                throw ParseError("key \(key): type \"\(Character(Unicode.Scalar(type)))\" is not s, i or b")
            }
        }
        return pairs
    }
}

/// A signed job request (J), split and decoded but not verified.
public struct SignedRequest: Sendable, Hashable {
    /// The signing mechanism named by the header: "none" or "munge".
    public let mechanism: String
    /// The uid the header claims signed it.
    public let userid: UInt32
    /// The signed bytes: the jobspec's JSON text.
    public let payload: [UInt8]
    /// The mechanism's signature text.
    public let signature: String
    /// "HEADER.PAYLOAD" as it appears in J: what the signature covers.
    public let signedPart: String

    /// The text of J.
    public var text: String { signedPart + "." + signature }

    /// Splits and decodes J; `J: ...` naming what is wrong when it is not one.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw ParseError("J: not HEADER.PAYLOAD.SIGNATURE (\(parts.count) parts)") }
        guard let header = Data(base64Encoded: String(parts[0])), let payload = Data(base64Encoded: String(parts[1])) else {
            throw ParseError("J: the header or the payload is not base64")
        }
        let fields: [String: SecurityKVValue]
        do { fields = try SecurityKV.decode(Array(header)) } catch { throw ParseError("J: header: \(error.message)") }
        guard fields["version"] == .integer(1) else { throw ParseError("J: header version is not 1") }
        guard case .string(let mechanism)? = fields["mechanism"] else { throw ParseError("J: header has no mechanism") }
        guard case .integer(let userid)? = fields["userid"], let uid = UInt32(exactly: userid) else {
            throw ParseError("J: header has no valid userid")
        }
        guard !parts[2].isEmpty else { throw ParseError("J: the signature is empty") }
        self.mechanism = mechanism
        self.userid = uid
        self.payload = Array(payload)
        self.signature = String(parts[2])
        self.signedPart = parts[0] + "." + parts[1]
    }

    /// "HEADER.PAYLOAD" for `payload` signed by `userid` with `mechanism` (to which the
    /// mechanism adds ".SIGNATURE").
    public static func signedPart(payload: [UInt8], userid: UInt32, mechanism: String) -> String {
        let header = SecurityKV.encode([
            ("version", .integer(1)), ("mechanism", .string(mechanism)), ("userid", .integer(Int64(userid))),
        ])
        return Data(header).base64EncodedString() + "." + Data(payload).base64EncodedString()
    }

    /// J for `payload` with the none mechanism (a single-user instance's own jobs).
    public static func none(payload: [UInt8], userid: UInt32) -> String {
        signedPart(payload: payload, userid: userid, mechanism: "none") + ".none"
    }
}
