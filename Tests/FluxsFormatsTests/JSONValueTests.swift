// Tests of JSONValue text (RFC 8259): the byte-level parser (every error message), the
// serializer (byte for byte what JSONEncoder writes), agreement with JSONDecoder, round
// trips, unicode escapes, big numbers, the nesting limit and every parsing entry point.
import Foundation
import Testing
@testable import FluxsFormats

@Suite struct JSONParsingTests {
    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", true),
        ("false", false),
        (" \t\r\n 7 \n", 7),
        ("0", 0),
        ("-0", 0),
        ("-12", -12),
        ("1.5", 1.5),
        ("1.0", .double(1)),
        ("-0.0", .double(-0.0)),
        ("1e3", .double(1000)),
        ("2E+2", .double(200)),
        ("25e-1", 2.5),
        ("0.1e1", .double(1)),
        ("\"\"", ""),
        ("\"a/b\"", "a/b"),
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{c}\n\r\t"),
        (#""\u0041\u00e9\u20AC\u0000""#, "Aé€\u{0}"),
        (#""\ud83d\ude00 \uD834\uDD1E""#, "😀 𝄞"),
        ("\"é€😀\u{7f}\"", "é€😀\u{7f}"),
        ("[]", []),
        ("[ ]", []),
        ("{}", [:]),
        ("{ }", [:]),
        ("[1,\"a\",null,[true],{}]", [1, "a", nil, [true], [:]]),
        (#"{"a":{"b":[1,2]},"c":"d"}"#, ["a": ["b": [1, 2]], "c": "d"]),
        (" { \"a\" : 1 , \"b\" : [ 2 , 3 ] } ", ["a": 1, "b": [2, 3]]),
        (#"{"a":1,"a":2}"#, ["a": 2]),
        ("\u{FEFF}[1]", [1]),
    ] as [(String, JSONValue)])
    func parses(text: String, value: JSONValue) throws {
        let parsed = try JSONValue(parsing: text)
        #expect(parsed == value)
        // .double(-0.0) == .double(0.0), so check the sign of zeros separately.
        #expect(parsed.doubleValue?.sign == value.doubleValue?.sign)
    }

    @Test(arguments: [
        ("", "invalid JSON: empty input"),
        (" \n ", "invalid JSON: empty input"),
        ("x", "invalid JSON: unexpected character 'x' at offset 0"),
        ("[1] x", "invalid JSON: unexpected character 'x' after the value at offset 4"),
        ("1 2", "invalid JSON: unexpected character '2' after the value at offset 2"),
        ("{}}", "invalid JSON: unexpected character '}' after the value at offset 2"),
        ("[1,]", "invalid JSON: trailing comma in array at offset 3"),
        ("{\"a\":1,}", "invalid JSON: trailing comma in object at offset 7"),
        ("[,1]", "invalid JSON: unexpected character ',' at offset 1"),
        ("[1 2]", "invalid JSON: expected ',' or ']' in array but found character '2' at offset 3"),
        ("[1", "invalid JSON: expected ',' or ']' in array but found end of input at offset 2"),
        ("[", "invalid JSON: unexpected end of input at offset 1"),
        ("{\"a\" 1}", "invalid JSON: expected ':' but found character '1' at offset 5"),
        ("{\"a\":1 \"b\":2}", "invalid JSON: expected ',' or '}' in object but found character '\"' at offset 7"),
        ("{1:2}", "invalid JSON: expected a string key but found character '1' at offset 1"),
        ("{'a':1}", "invalid JSON: expected a string key but found character ''' at offset 1"),
        ("{\"a\":}", "invalid JSON: unexpected character '}' at offset 5"),
        ("{", "invalid JSON: expected a string key but found end of input at offset 1"),
        ("01", "invalid JSON: leading zero in number at offset 0"),
        ("-01", "invalid JSON: leading zero in number at offset 0"),
        ("[00]", "invalid JSON: leading zero in number at offset 1"),
        ("-", "invalid JSON: expected a digit but found end of input at offset 1"),
        ("-x", "invalid JSON: expected a digit but found character 'x' at offset 1"),
        ("1.", "invalid JSON: expected a digit but found end of input at offset 2"),
        ("1.e5", "invalid JSON: expected a digit but found character 'e' at offset 2"),
        (".5", "invalid JSON: unexpected character '.' at offset 0"),
        ("+1", "invalid JSON: unexpected character '+' at offset 0"),
        ("1e", "invalid JSON: expected a digit but found end of input at offset 2"),
        ("1e+", "invalid JSON: expected a digit but found end of input at offset 3"),
        ("0x10", "invalid JSON: unexpected character 'x' after the value at offset 1"),
        ("1e400", "invalid JSON: number 1e400 is out of range at offset 0"),
        ("[-1E309]", "invalid JSON: number -1E309 is out of range at offset 1"),
        ("NaN", "invalid JSON: unexpected character 'N' at offset 0"),
        ("-Infinity", "invalid JSON: expected a digit but found character 'I' at offset 1"),
        ("tru", "invalid JSON: expected 'true' at offset 0"),
        ("nul", "invalid JSON: expected 'null' at offset 0"),
        ("True", "invalid JSON: unexpected character 'T' at offset 0"),
        ("[fals]", "invalid JSON: expected 'false' at offset 1"),
        ("/* c */ 1", "invalid JSON: unexpected character '/' at offset 0"),
        ("1 // c", "invalid JSON: unexpected character '/' after the value at offset 2"),
        ("\"abc", "invalid JSON: unterminated string at offset 0"),
        ("[\"a\\", "invalid JSON: unterminated string at offset 1"),
        ("\"a\\\"", "invalid JSON: unterminated string at offset 0"),
        ("\"a\tb\"", "invalid JSON: control character 0x09 in string at offset 2"),
        ("\"a\nb\"", "invalid JSON: control character 0x0A in string at offset 2"),
        ("\"\\x\"", "invalid JSON: invalid escape '\\x' in string at offset 1"),
        ("\"\\'\"", "invalid JSON: invalid escape '\\'' in string at offset 1"),
        ("\"\\u12\"", "invalid JSON: invalid \\u escape in string at offset 1"),
        ("\"\\uZZZZ\"", "invalid JSON: invalid \\u escape in string at offset 1"),
        ("\"ab\\u00e\"", "invalid JSON: invalid \\u escape in string at offset 3"),
        ("\"\\ud800\"", "invalid JSON: lone surrogate \\ud800 in string at offset 1"),
        ("\"\\uDBFFx\"", "invalid JSON: lone surrogate \\uDBFF in string at offset 1"),
        ("\"\\ud800\\n\"", "invalid JSON: lone surrogate \\ud800 in string at offset 1"),
        ("\"\\ud800\\u0041\"", "invalid JSON: lone surrogate \\ud800 in string at offset 1"),
        ("\"\\ud800\\ud800\"", "invalid JSON: lone surrogate \\ud800 in string at offset 1"),
        ("\"x\\udc00\"", "invalid JSON: lone surrogate \\udc00 in string at offset 2"),
        ("\"\\ud800\\u12\"", "invalid JSON: invalid \\u escape in string at offset 7"),
        ("'a'", "invalid JSON: unexpected character ''' at offset 0"),
        ("é", "invalid JSON: unexpected byte 0xC3 at offset 0"),
        ("\u{1}", "invalid JSON: unexpected byte 0x01 at offset 0"),
        ("{\n  \"a\": [1,\n  2,]\n}", "invalid JSON: trailing comma in array at offset 17 (line 3, column 5)"),
        ("[\n1\n\n x]", "invalid JSON: expected ',' or ']' in array but found character 'x' at offset 6 (line 4, column 2)"),
        ("{\n\"a\":\n", "invalid JSON: unexpected end of input at offset 7 (line 3, column 1)"),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: ParseError(message)) { try JSONValue(parsing: text) }
    }

    @Test(arguments: [
        ([0x22, 0xFF, 0x22], "invalid JSON: invalid UTF-8 byte 0xFF in string at offset 1"),
        ([0x22, 0x80, 0x22], "invalid JSON: invalid UTF-8 byte 0x80 in string at offset 1"),
        ([0x22, 0xC0, 0xAF, 0x22], "invalid JSON: invalid UTF-8 byte 0xC0 in string at offset 1"),  // overlong "/"
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid JSON: invalid UTF-8 byte 0x80 in string at offset 2"),  // overlong
        ([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid JSON: invalid UTF-8 byte 0xA0 in string at offset 2"),  // surrogate
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid JSON: invalid UTF-8 byte 0x90 in string at offset 2"),  // > U+10FFFF
        ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid JSON: invalid UTF-8 byte 0xF5 in string at offset 1"),
        ([0x22, 0x61, 0xC3, 0x22], "invalid JSON: invalid UTF-8 byte 0x22 in string at offset 3"),  // truncated
        ([0x22, 0xE2, 0x82], "invalid JSON: truncated UTF-8 sequence in string at offset 1"),
        ([0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22], "invalid JSON: invalid UTF-8 byte 0x28 in string at offset 4"),
        ([0x22, 0x00, 0x22], "invalid JSON: control character 0x00 in string at offset 1"),
        ([0x31, 0x00], "invalid JSON: unexpected byte 0x00 after the value at offset 1"),
    ] as [([UInt8], String)])
    func rejectsMalformedUTF8(bytes: [UInt8], message: String) {
        #expect(throws: ParseError(message)) { try JSONValue(parsing: bytes) }
    }

    @Test(arguments: [
        ("9223372036854775807", JSONValue.int(.max)),
        ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9223372036854775808.0)),
        ("-9223372036854775809", .double(-9223372036854775809.0)),
        ("18446744073709551616", .double(18446744073709551616.0)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("1e308", .double(1e308)),
        ("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        ("4.9e-324", .double(.leastNonzeroMagnitude)),
        ("1e-400", .double(0)),
        ("0.1", .double(0.1)),
        ("0.30000000000000004", .double(0.30000000000000004)),
        ("2.2250738585072011e-308", .double(Double.leastNormalMagnitude.nextDown)),
        ("9007199254740993.0", .double(9007199254740992.0)),  // ties to even
        ("1" + String(repeating: "0", count: 400), .double(.infinity)),
    ] as [(String, JSONValue)])
    func parsesBigNumbers(text: String, value: JSONValue) throws {
        if case .double(let expected) = value, !expected.isFinite {
            #expect(throws: ParseError.self) { try JSONValue(parsing: text) }
        } else {
            #expect(try JSONValue(parsing: text) == value)
        }
    }

    @Test func nestingIsLimitedTo512Levels() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        var value = try JSONValue(parsing: deepest)
        var depth = 0
        while case .array(let elements) = value {
            depth += 1
            value = elements.first ?? .null
        }
        #expect(depth == 512)
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: ParseError("invalid JSON: nesting deeper than 512 levels at offset 512")) {
            try JSONValue(parsing: tooDeep)
        }
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: ParseError("invalid JSON: nesting deeper than 512 levels at offset 2560")) {
            try JSONValue(parsing: hostile)
        }
    }

    @Test func everyEntryPointAgrees() throws {
        let text = #"{"payload":[1,2.5,"é\n"],"ok":true}"#
        let expected = try JSONValue(parsing: text)
        let bytes = Array(text.utf8)
        #expect(try JSONValue(parsing: bytes) == expected)
        #expect(try JSONValue(parsing: Data(bytes)) == expected)
        #expect(try JSONValue(parsing: ("  " + text + "  ").dropFirst(2)) == expected)
        #expect(try JSONValue(parsing: ([0x20] + bytes)[1...]) == expected)
        #expect(try bytes.withUnsafeBytes { raw throws(ParseError) in try JSONValue(parsing: raw) } == expected)
        #expect(try bytes.withUnsafeBufferPointer { raw throws(ParseError) in try JSONValue(parsing: raw) } == expected)
        #expect(try JSONValue(parsing: text.utf8.lazy.map { $0 }) == expected)  // not contiguous
    }

    @Test func longStringsWithEscapesAndUnicode() throws {
        let plain = String(repeating: "abcdéf€😀", count: 2000)
        #expect(try JSONValue(parsing: "\"\(plain)\"") == .string(plain))
        let escaped = String(repeating: "a\\n\\u00e9\\ud83d\\ude00", count: 2000)
        #expect(try JSONValue(parsing: "\"\(escaped)\"") == .string(String(repeating: "a\né😀", count: 2000)))
    }
}

@Suite struct JSONSerializingTests {
    @Test(arguments: [
        (JSONValue.null, "null"),
        (true, "true"),
        (.int(.min), "-9223372036854775808"),
        (.int(.max), "9223372036854775807"),
        (0, "0"),
        (.double(5), "5"),
        (.double(-0.0), "-0"),
        (.double(0.1), "0.1"),
        (.double(1e20), "1e+20"),
        (.double(1e16), "1e+16"),
        (.double(1e15), "1000000000000000"),
        (.double(1.5e-7), "1.5e-07"),
        (.double(.infinity), "null"),
        (.double(.nan), "null"),
        ("a/b\"c\\d\u{0}\u{1f}\u{7f}\u{8}\u{c}\n\r\t\u{b}é\u{2028}😀", #""a/b\"c\\d\u0000\u001f\#u{7f}\b\f\n\r\t\u000bé\#u{2028}😀""#),
        ([], "[]"),
        ([:], "{}"),
        ([1, [2, [:]], ["b": nil, "a": .double(.nan)]], #"[1,[2,{}],{"a":null,"b":null}]"#),
        (["b": 1, "a10": 2, "a9": 3, "B": 4, "_": 5, "é": 6, "z": 7, "": 8], #"{"":8,"B":4,"_":5,"a10":2,"a9":3,"b":1,"z":7,"é":6}"#),
    ] as [(JSONValue, String)])
    func writesCompactText(value: JSONValue, text: String) {
        #expect(value.compactText == text)
        #expect(value.compactBytes == Array(text.utf8))
    }

    @Test func writesPrettyTextLikeJSONEncoder() {
        let value: JSONValue = ["b": [1, [:], []], "a": ["x": "y", "e": []], "c": .double(1.5)]
        #expect(value.prettyText == """
            {
              "a" : {
                "e" : [

                ],
                "x" : "y"
              },
              "b" : [
                1,
                {

                },
                [

                ]
              ],
              "c" : 1.5
            }
            """)
        #expect(JSONValue.string("x").prettyText == "\"x\"")
        #expect(JSONValue.array([]).prettyText == "[\n\n]")
    }

    @Test(arguments: 0..<300)
    func agreesWithJSONEncoderAndDecoder(seed: Int) throws {
        var generator = ValueGenerator(seed: UInt64(seed))
        let value = generator.value(depth: 0)
        let finite = value.replacingNonFinite()
        #expect(value.compactText == Self.encode(finite, pretty: false))
        #expect(value.prettyText == Self.encode(finite, pretty: true))
        // Parsing the output gives the value back (integral reals come back as integers), and
        // JSONDecoder reads the same text the same way.
        let reparsed = try JSONValue(parsing: value.compactText)
        #expect(reparsed.integralRealsAsIntegers() == finite.integralRealsAsIntegers())
        #expect(try JSONValue(parsing: value.prettyText) == reparsed)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(value.compactText.utf8))
        #expect(decoded.numbersAsJSONDecoderReadsThem() == reparsed.numbersAsJSONDecoderReadsThem())
    }

    @Test(arguments: [
        #"{"id":12345,"type":"request","topic":"job-manager.submit","payload":{"jobspec":"x","flags":0}}"#,
        #"[1, 2.5, -3e2, 0.1e-3, "a\u00e9\ud83d\ude00\/\b", null, true, false, {"":{}}, []]"#,
        #"{"a":{"b":{"c":{"d":[[[[[]]]]]}}}}"#,
        "  [\n 1 ,\t2 ]  ",
        #""\u0000\u001F""#,
    ])
    func agreesWithJSONDecoder(text: String) throws {
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try JSONValue(parsing: text).numbersAsJSONDecoderReadsThem() == decoded.numbersAsJSONDecoderReadsThem())
    }

    static func encode(_ value: JSONValue, pretty: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty
            ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}

/// Deterministic pseudo-random JSON values (SplitMix64), with the awkward cases weighted in:
/// control characters, quotes, non-ASCII keys, integral and tiny and huge reals, NaN.
private struct ValueGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }

    mutating func value(depth: Int) -> JSONValue {
        switch next(depth > 3 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(next(2) == 0)
        case 2: return .int([0, -1, .max, .min, Int64(next(1_000_000)) - 500_000][next(5)])
        case 3: return .double(real())
        case 4, 5: return .string(string())
        case 6: return .array((0..<next(5)).map { _ in value(depth: depth + 1) })
        default:
            return .object(Dictionary((0..<next(6)).map { _ in (string(), value(depth: depth + 1)) }) { $1 })
        }
    }

    mutating func real() -> Double {
        let special: [Double] = [0, -0.0, 5, 0.1, 1e20, 1e21, 1e-7, 1e15, 1e16, 123.456, .nan, .infinity,
            .greatestFiniteMagnitude, .leastNonzeroMagnitude, 9007199254740993.0, -2.5e-300]
        if next(3) == 0 { return special[next(special.count)] }
        let mantissa = Double(next(1 << 30)) / Double(1 + next(1 << 20))
        return (next(2) == 0 ? 1 : -1) * mantissa * pow(10, Double(next(40) - 20))
    }

    mutating func string() -> String {
        let pieces = ["a", "Z", "key", "/", "\"", "\\", "\n", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "€", "😀",
            "\u{2028}", " ", "10", "9", "_", "-"]
        return (0..<next(6)).map { _ in pieces[next(pieces.count)] }.joined()
    }
}

extension JSONValue {
    /// The value with non-finite reals made null, as the serializer writes them.
    fileprivate func replacingNonFinite() -> JSONValue {
        switch self {
        case .double(let real) where !real.isFinite: .null
        case .array(let elements): .array(elements.map { $0.replacingNonFinite() })
        case .object(let members): .object(members.mapValues { $0.replacingNonFinite() })
        default: self
        }
    }

    /// The value with integral reals in Int64 range made integers, as they read back.
    fileprivate func integralRealsAsIntegers() -> JSONValue {
        mapNumbers { real in real.rounded() == real && abs(real) < 9.2e18 ? .int(Int64(real)) : .double(real) } integer: { .int($0) }
    }

    /// The value with numbers compared as JSONDecoder reads them: it makes an integer of any
    /// integral number, taking digits from the text, so beyond 2^53 only the nearest real is common.
    fileprivate func numbersAsJSONDecoderReadsThem() -> JSONValue {
        let exact = 9_007_199_254_740_992.0
        return mapNumbers { real in real.rounded() == real && abs(real) <= exact ? .int(Int64(real)) : .double(real) }
            integer: { Double($0).magnitude <= exact ? .int($0) : .double(Double($0)) }
    }

    private func mapNumbers(real: (Double) -> JSONValue, integer: (Int64) -> JSONValue) -> JSONValue {
        switch self {
        case .double(let value): real(value)
        case .int(let value): integer(value)
        case .array(let elements): .array(elements.map { $0.mapNumbers(real: real, integer: integer) })
        case .object(let members): .object(members.mapValues { $0.mapNumbers(real: real, integer: integer) })
        default: self
        }
    }
}
