// Tests of eventlogs (RFC 18): flux-core's good and bad events and logs, exact errors
// with line numbers, the line format, and timestamp round trips.
import Testing
@testable import FluxsFormats

private let fooEvent = #"{"timestamp":42.0,"name":"foo"}"#
private let fooEventWithContext = #"{"timestamp":42.0,"name":"foo","context":{"bar":16}}"#

/// Eventlogs (RFC 18).
@Suite struct EventlogTests {
    @Test func parsesEventsAndLogs() throws {
        #expect(try Eventlog.parse("") == [])
        #expect(try Eventlog.parse(fooEvent + "\n") == [EventlogEntry(timestamp: 42, name: "foo")])
        #expect(try Eventlog.parse(fooEvent + "\n" + fooEventWithContext + "\n") == [
            EventlogEntry(timestamp: 42, name: "foo"),
            EventlogEntry(timestamp: 42, name: "foo", context: ["bar": 16]),
        ])
    }

    @Test func parsesTheRFCExample() throws {
        let log = """
            {"timestamp":1552593348.073045,"name":"submit","context":{"urgency":16,"userid":5588,"flags":0}}
            {"timestamp":1552593547.411336,"name":"urgency","context":{"urgency":0,"userid":5588}}
            {"timestamp":1552593348.093541,"name":"free"}
            {"timestamp":1552593348.092830,"name":"release","context":{"ranks":"all","final":true}}

            """
        let entries = try Eventlog.parse(log)
        #expect(entries.map(\.name) == ["submit", "urgency", "free", "release"])
        #expect(entries[0].timestamp == 1552593348.073045)
        #expect(entries[0].context == ["urgency": 16, "userid": 5588, "flags": 0])
        #expect(entries[3].context?["final"] == true)
        #expect(entries[2].context == nil)
    }

    @Test(arguments: [
        ("\n", "eventlog line 1: is empty"),
        ("\n\n", "eventlog line 1: is empty"),
        ("foo", "eventlog line 1: does not end with a newline"),
        (fooEvent, "eventlog line 1: does not end with a newline"),
        (fooEvent + "\n\n", "eventlog line 2: is empty"),
        ("\n" + fooEvent, "eventlog line 1: is empty"),
        (fooEvent + "\n" + fooEvent, "eventlog line 2: does not end with a newline"),
        (#"{"timestamp":"foo","name":"foo"}\#n"#, #"eventlog line 1: "timestamp" must be a number, not string"#),
        (#"{"timestamp":42.0,"name":18}\#n"#, #"eventlog line 1: "name" must be a string, not integer"#),
        (#"{"timestamp":42.0}\#n"#, #"eventlog line 1: missing "name""#),
        (#"{"name":"foo"}\#n"#, #"eventlog line 1: missing "timestamp""#),
        (#"{"timestamp":42.0,"name":"foo","context":"bar"}\#n"#,
         #"eventlog line 1: "context" must be an object, not string"#),
        (#"{"timestamp":42.0,"name":"foo","context":null}\#n"#,
         #"eventlog line 1: "context" must be an object, not null"#),
        (#"{"timestamp":42.0,"name":"foo","context":[1]}\#n"#,
         #"eventlog line 1: "context" must be an object, not array"#),
        (#"{"timestamp":0,"name":"foo"}\#n"#, #"eventlog line 1: "timestamp" must be greater than zero"#),
        (#"{"timestamp":-1.5,"name":"foo"}\#n"#, #"eventlog line 1: "timestamp" must be greater than zero"#),
        (#"{"timestamp":null,"name":"foo"}\#n"#, #"eventlog line 1: "timestamp" must be a number, not null"#),
        (#"{"timestamp":1,"name":""}\#n"#, #"eventlog line 1: "name" must not be empty"#),
        ("[1,2]\n", "eventlog line 1: must be a JSON object"),
        (fooEvent + "\n" + fooEvent + "\n" + #"{"timestamp":1}\#n"#, #"eventlog line 3: missing "name""#),
    ] as [(String, String)])
    func rejectsMalformedLogs(_ text: String, _ message: String) {
        #expect(throws: ParseError(message)) { try Eventlog.parse(text) }
    }

    @Test(arguments: ["foo\n", fooEvent + fooEvent + "\n", #"{"timestamp":1,name:"x"}\#n"#])
    func rejectsInvalidJSONNamingTheLine(_ text: String) {
        let error = #expect(throws: ParseError.self) { try Eventlog.parse(text) }
        #expect(error?.message.hasPrefix("eventlog line 1: invalid JSON") == true, "\(String(describing: error))")
    }

    @Test func parsesOneEntryWithOrWithoutItsNewline() throws {
        let expected = EventlogEntry(timestamp: 42, name: "foo", context: ["bar": 16])
        #expect(try EventlogEntry(parsing: fooEventWithContext) == expected)
        #expect(try EventlogEntry(parsing: fooEventWithContext + "\n") == expected)
        #expect(try EventlogEntry(parsing: #"{"timestamp":7,"name":"x","extra":[1]}"#)
            == EventlogEntry(timestamp: 7, name: "x"))
        #expect(throws: ParseError("eventlog entry: must be a single line")) {
            try EventlogEntry(parsing: fooEvent + "\n" + fooEvent + "\n")
        }
        #expect(throws: ParseError(#"eventlog entry: missing "name""#)) {
            try EventlogEntry(parsing: #"{"timestamp":1}"#)
        }
        #expect(throws: ParseError("eventlog entry: is empty")) { try EventlogEntry(parsing: "\n") }
    }

    @Test func writesFluxStyleLines() {
        #expect(EventlogEntry(timestamp: 42, name: "foo").line == fooEvent + "\n")
        #expect(EventlogEntry(timestamp: 1700000000.123456, name: "submit", context: ["userid": 5588, "urgency": 16]).line
            == #"{"timestamp":1700000000.123456,"name":"submit","context":{"urgency":16,"userid":5588}}\#n"#)
        #expect(EventlogEntry(timestamp: 1.5, name: "a \"b\"\n/c").line
            == #"{"timestamp":1.5,"name":"a \"b\"\n/c"}\#n"#)
        #expect(Eventlog.format([]) == "")
    }

    @Test(arguments: [
        1552593348.073045, 1700000000.123456, 4102444800.999999, 42, 0.5, 1e-6, .leastNonzeroMagnitude,
        1700000000.0.nextUp, Double(UInt32.max) + 0.000001, 1.0e16, 123456789012.345678,
    ])
    func roundTripsTimestamps(_ timestamp: Double) throws {
        let entries = [
            EventlogEntry(timestamp: timestamp, name: "start"),
            EventlogEntry(timestamp: timestamp, name: "exception",
                          context: ["type": "cancel", "severity": 0, "note": "a\nb", "ranks": [0, 1], "x": 0.25]),
        ]
        #expect(try Eventlog.parse(Eventlog.format(entries)) == entries)
        #expect(try EventlogEntry(parsing: entries[1].line) == entries[1])
    }
}

struct EventlogCursorTests {
    @Test func givesOnlyWhatWasAppended() throws {
        var cursor = EventlogCursor()
        let first = "{\"timestamp\":1.0,\"name\":\"submit\"}\n"
        #expect(try cursor.newEntries(first).map(\.name) == ["submit"])
        #expect(try cursor.newEntries(first).isEmpty)
        let grown = first + "{\"timestamp\":2.0,\"name\":\"start\"}\n{\"timestamp\":3.0,\"name\":\"finish\",\"context\":{\"status\":0}}\n"
        #expect(try cursor.newEntries(grown).map(\.name) == ["start", "finish"])
        #expect(throws: ParseError.self) { try cursor.newEntries(grown + "not json\n") }
    }
}
