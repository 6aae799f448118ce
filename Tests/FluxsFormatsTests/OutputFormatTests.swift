// The `-o FORMAT` engine: widths, precision, the "+" marker, alignment, h, ?:,
// conversions, headings, field validation and its errors.
import Testing
@testable import FluxsFormats

func render(_ format: String, _ value: FieldValue) throws -> String {
    try OutputFormat(format).render([value], header: false, heading: { $0 }, value: { row, _ in row })[0]
}

struct OutputFormatTests {
    @Test(arguments: [
        ("{x:<6}", FieldValue.text("ab"), "ab"), ("[{x:<6}]", .text("ab"), "[ab    ]"), ("[{x:>6}]", .text("ab"), "[    ab]"),
        ("[{x:^6}]", .text("ab"), "[  ab  ]"), ("[{x:*^7}]", .text("ab"), "[**ab***]"), ("[{x:6}]", .int(42), "[    42]"),
        ("[{x:6}]", .text("ab"), "[ab    ]"), ("[{x:06}]", .int(42), "[000042]"), ("[{x:<4.4}]", .text("abcdefgh"), "[abcd]"),
        ("[{x:<10.10+}]", .text("averylongjobname"), "[averylong+]"), ("[{x:<10.10+}]", .text("short"), "[short     ]"),
        ("[{x:>6h}]", .none, "[     -]"), ("[{x:>6h}]", .text("0s"), "[     -]"), ("[{x:>6h}]", .int(3), "[     3]"),
        ("[{x:.2f}]", .real(3.14159), "[3.14]"), ("[{x!F:>8h}]", .real(90), "[    1.5m]"), ("[{x!F}]", .real(14.3125), "[14.31s]"), ("[{x!F}]", .real(7200), "[2h]"), ("[{x!F:>8h}]", .real(0), "[       -]"),
        ("[{x!H}]", .real(3725), "[1:02:05]"), ("{{{x}}}", .text("v"), "{v}"), ("[{x}]", .real(2), "[2.0]"),
        ("[{x:>3}]", .text("toolong"), "[toolong]"), ("[{x!d:%Y::>6}]", .none, "[      ]"),
    ] as [(String, FieldValue, String)])
    func fieldSpecs(format: String, value: FieldValue, expected: String) throws {
        #expect(try render(format, value) == expected)
    }

    @Test func badFormats() {
        #expect(throws: ParseError("format \"{x\": missing \"}\"")) { try OutputFormat("{x") }
        #expect(throws: ParseError("format \"x}\": single \"}\" (write \"}}\" for a brace)")) { try OutputFormat("x}") }
        #expect(throws: ParseError("format \"{x!Z}\": unknown conversion \"!Z\" (known: !F !H !D !d)")) {
            try OutputFormat("{x!Z}")
        }
        #expect(throws: ParseError.self) { try OutputFormat("{x:<5q}") }
        #expect(throws: ParseError.self) { try OutputFormat("{x:5.}") }
        #expect(throws: ParseError.self) { try OutputFormat("{}") }
    }

    @Test func fieldsAreCheckedWhenGiven() throws {
        let fields: Set<String> = ["a", "b"]
        #expect(try OutputFormat("{a} ?:{b:>4}", fields: fields).fieldNames == ["a", "b"])
        #expect(throws: ParseError("format \"{a} {c}\": unknown field \"c\" (fields: a, b)")) {
            try OutputFormat("{a} {c}", fields: fields)
        }
        #expect(try OutputFormat("{anything}").fieldNames == ["anything"])
    }

    @Test func optionalColumnsDisappearWhenBlank() throws {
        let format = try OutputFormat("{a:>3} ?:{b:<5} {c}")
        let rows: [[String: FieldValue]] = [["a": .int(1), "b": .text(""), "c": .text("x")]]
        let lines = format.render(rows, heading: { $0.uppercased() }, value: { $0[$1] ?? .none })
        #expect(lines == ["  A C", "  1 x"])
        let full = format.render(rows + [["a": .int(2), "b": .text("q"), "c": .text("y")]],
                                 heading: { $0.uppercased() }, value: { $0[$1] ?? .none })
        #expect(full == ["  A B     C", "  1       x", "  2 q     y"])
        let zero = try OutputFormat("{a} ?:{n:>4} {c}").render([["a": .text("s"), "n": .int(0), "c": .text("x")]])
        #expect(zero == ["A C", "s x"])
    }

    @Test func headingsFromATableElseUpperCased() throws {
        let format = try OutputFormat("{t!d:%Y::<6} {x:>4.2} {y}")
        let lines = format.render([["t": .real(0), "x": .text("abc"), "y": .text("v")]], headings: ["t": "TIME"])
        #expect(lines[0] == "TIME      X Y")
        #expect(format.render([["y": .text("v")]], header: false) == [String(repeating: " ", count: 12) + "v"])
    }

    @Test func localTimeOfATimestamp() throws {
        let lines = try OutputFormat("{t!d:%Y-%m-%d %H:%M:%S} {t!D}").render([["t": .real(86400 * 365)]], header: false)
        let expected = OutputFormat.localTime(86400 * 365, "%Y-%m-%d %H:%M:%S")
        #expect(lines == [expected + " " + OutputFormat.localTime(86400 * 365, "%Y-%m-%dT%H:%M:%S")])
    }
}
