// Tests of the RFC 38 key-value encoding (its test vectors for the types fluxs uses,
// and every refusal) and of J, the RFC 39 signed request: split, decoded, refused when
// malformed; made with the none mechanism.
import Testing
@testable import FluxsFormats

@Suite struct SecurityKVTests {
    /// RFC 38's test vectors for strings, integers and booleans.
    @Test(arguments: [
        ("PATH", SecurityKVValue.string("/bin:/usr/bin"), "PATH\0s/bin:/usr/bin\0"),
        ("EMPTY_STRING", .string(""), "EMPTY_STRING\0s\0"),
        ("JOB_ID_STRING", .string("ƒuzzybunny"), "JOB_ID_STRING\0sƒuzzybunny\0"),
        ("INT_PLUS", .integer(42), "INT_PLUS\0i42\0"),
        ("INT_MINUS", .integer(-42), "INT_MINUS\0i-42\0"),
        ("INT64_MAX", .integer(.max), "INT64_MAX\0i9223372036854775807\0"),
        ("INT64_MIN", .integer(.min), "INT64_MIN\0i-9223372036854775808\0"),
        ("FALSE", .bool(false), "FALSE\0bfalse\0"),
        ("TRUE", .bool(true), "TRUE\0btrue\0"),
    ])
    func vectors(_ key: String, _ value: SecurityKVValue, _ encoding: String) throws {
        #expect(SecurityKV.encode([(key, value)]) == Array(encoding.utf8))
        #expect(try SecurityKV.decode(Array(encoding.utf8)) == [key: value])
    }

    @Test func severalPairsInOrder() throws {
        let bytes = SecurityKV.encode([("version", .integer(1)), ("mechanism", .string("munge")), ("userid", .integer(1000))])
        #expect(bytes == Array("version\0i1\0mechanism\0smunge\0userid\0i1000\0".utf8))
        #expect(try SecurityKV.decode(bytes) == ["version": .integer(1), "mechanism": .string("munge"), "userid": .integer(1000)])
    }

    @Test(arguments: [
        ("a\0s1", "does not end with NUL"),
        ("a\0", "a key without a value"),
        ("\0s1\0", "an empty key"),
        ("a\0\0", "key a has no type"),
        ("a\0ix\0", "key a: \"x\" is not an integer"),
        ("a\0byes\0", "key a: \"yes\" is not a boolean"),
        ("a\0d3.000000\0", "key a: type \"d\" is not s, i or b"),
    ])
    func refusals(_ text: String, _ says: String) {
        #expect { try SecurityKV.decode(Array(text.utf8)) } throws: { ($0 as? ParseError)?.message.contains(says) == true }
    }
}

@Suite struct SignedRequestTests {
    @Test func noneRoundTrip() throws {
        let payload = Array(#"{"version":1}"#.utf8)
        let text = SignedRequest.none(payload: payload, userid: 1000)
        let J = try SignedRequest(parsing: text)
        #expect(J.mechanism == "none")
        #expect(J.userid == 1000)
        #expect(J.payload == payload)
        #expect(J.signature == "none")
        #expect(J.text == text)
        #expect(J.signedPart == String(text.dropLast(".none".count)))
        // The header is base64 of the RFC 38 encoding, in RFC 39's key order.
        #expect(text.hasPrefix("dmVyc2lvbgBpMQBtZWNoYW5pc20Ac25vbmUAdXNlcmlkAGkxMDAwAA==."))
    }

    static func header(_ text: String) -> String { Data(Array(text.utf8)).base64EncodedString() }

    @Test(arguments: [
        ("a.b", "not HEADER.PAYLOAD.SIGNATURE (2 parts)"),
        ("a.b.c.d", "not HEADER.PAYLOAD.SIGNATURE (4 parts)"),
        ("%%.e30=.x", "the header or the payload is not base64"),
        ("\(header("version\0i2\0mechanism\0snone\0userid\0i1\0")).e30=.none", "header version is not 1"),
        ("\(header("version\0i1\0userid\0i1\0")).e30=.none", "header has no mechanism"),
        ("\(header("version\0i1\0mechanism\0snone\0")).e30=.none", "header has no valid userid"),
        ("\(header("version\0i1\0mechanism\0snone\0userid\0i-1\0")).e30=.none", "header has no valid userid"),
        ("\(header("version\0i1\0mechanism\0snone\0userid\0i1\0")).e30=.", "the signature is empty"),
        ("\(header("version\0i1\0mechanism\0snone\0userid\0s1\0")).e30=.none", "header has no valid userid"),
        ("\(header("version\0i1\0mechanism")).e30=.none", "J: header: key-value encoding does not end with NUL"),
    ])
    func refusals(_ text: String, _ says: String) {
        #expect { try SignedRequest(parsing: text) } throws: { ($0 as? ParseError)?.message.contains(says) == true }
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
