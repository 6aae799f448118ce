// The `-o FORMAT` engine: widths, precision, the "+" marker, alignment, h, ?:, +:, ?+:,
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
        ("[{x!P}]", .real(0.5), "[50%]"), ("[{x!P}]", .real(0.12345), "[12.3%]"), ("[{x!P}]", .real(0.0025), "[0.25%]"),
        ("[{x!P:>6}]", .real(1), "[  100%]"), ("[{x!P}]", .int(0), "[0%]"), ("[{x!P:>4}]", .none, "[    ]"),
        // Numbers no clock can hold (a job's duration of 1e300 s) print as durations, never trap.
        ("[{x!H}]", .real(1e300), "[1.157e+295d]"), ("[{x!D}]", .real(.infinity), "[infinity]"),
        ("[{x!d:%Y}]", .real(-1e30), "[-]"),
    ] as [(String, FieldValue, String)])
    func fieldSpecs(format: String, value: FieldValue, expected: String) throws {
        #expect(try render(format, value) == expected)
    }

    @Test func badFormats() {
        #expect(throws: ParseError("format \"{x\": missing \"}\"")) { try OutputFormat("{x") }
        #expect(throws: ParseError("format \"x}\": single \"}\" (write \"}}\" for a brace)")) { try OutputFormat("x}") }
        #expect(throws: ParseError("format \"{x!Z}\": unknown conversion \"!Z\" (known: !F !H !D !d !P)")) {
            try OutputFormat("{x!Z}")
        }
        #expect(throws: ParseError.self) { try OutputFormat("{x:<5q}") }
        #expect(throws: ParseError.self) { try OutputFormat("{x:5.}") }
        #expect(throws: ParseError.self) { try OutputFormat("{}") }
        // Widths come from any client and are rendered on the broker: bounded.
        #expect(throws: Never.self) { try OutputFormat("{x:10000.10000}") }
        #expect(throws: ParseError.self) { try OutputFormat("{x:10001}") }
        #expect(throws: ParseError.self) { try OutputFormat("{x:.99999999999999999999999}") }
        #expect(throws: ParseError.self) { try OutputFormat("{x:1000000000000}") }
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

    @Test func expandingColumnsWidenToTheirWidestValueAndHeading() throws {
        let format = try OutputFormat("{a:>2} +:{user:<4} {c}")
        let rows: [[String: FieldValue]] = [["a": .int(1), "user": .text("bob"), "c": .text("x")],
                                            ["a": .int(2), "user": .text("administrator"), "c": .text("y")]]
        #expect(format.render(rows) == [" A USER          C", " 1 bob           x", " 2 administrator y"])
        // The width given is a minimum; the heading counts only when printed.
        let short: [[String: FieldValue]] = [["a": .int(1), "user": .text("al"), "c": .text("x")]]
        #expect(format.render(short) == [" A USER C", " 1 al   x"])
        #expect(try OutputFormat("+:{longname:<2} {c}").render(short, header: false) == ["   x"])
        #expect(try OutputFormat("+:{longname:<2} {c}").render(short) == ["LONGNAME C", "         x"])
        // Precision still cuts; conversions are measured as printed.
        #expect(try OutputFormat("+:{user:<2.3}|").render(rows, header: false) == ["bob          |", "adm          |"])
        #expect(try OutputFormat("+:{t!F}|").render([["t": .real(90)]], header: false) == ["1.5m|"])
    }

    @Test func optionalExpandingColumnsDisappearWhenBlankElseWiden() throws {
        let format = try OutputFormat("{a:>2} ?+:{q:<2} {c}")
        let blank: [[String: FieldValue]] = [["a": .int(1), "q": .text(""), "c": .text("x")]]
        #expect(format.render(blank) == [" A C", " 1 x"])
        let some = blank + [["a": .int(2), "q": .text("debug"), "c": .text("y")]]
        #expect(format.render(some) == [" A Q     C", " 1       x", " 2 debug y"])
        // "+:" alone before a field is a sentinel; elsewhere it is text.
        #expect(try OutputFormat("a+:b {x}").render([["x": .text("v")]], header: false) == ["a+:b v"])
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
