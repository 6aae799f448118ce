// One PMI-1 wire message (Flux RFC 13): a command and key=value pairs on one line,
// space separated, newline terminated, e.g. `cmd=put kvsname=kvs_0 key=k value=v\n`.
//
// Parsing follows the leniency RFC 13 asks for and Hydra needs: keys in any order, runs
// of spaces or tabs between pairs, extra keys kept (Hydra adds `msg=success`), `rc`
// optional (Hydra omits it on `barrier_out`). The command is the value of `cmd` (or of
// `mcmd`, the first line of the multi-line spawn request, which this library does not
// otherwise support). A value is cut at the first `=` of its pair only, so values may
// hold `=`. A bare word with no `=` continues the previous value after one space: that
// is how RFC 13's free-text `msg=` strings arrive.
//
// On the wire a value cannot hold a space, tab or newline: Hydra cuts a value at its
// first space, and a newline would end the line. `isWireWord` tells whether a string
// survives; formatting does not check, senders do (PMIClient refuses bad puts).

/// One PMI-1 message: a command and its key=value pairs, in order.
public struct PMIMessage: Hashable, Sendable, CustomStringConvertible {
    /// One key=value pair other than the command.
    public struct Field: Hashable, Sendable {
        /// The key, e.g. `kvsname`.
        public var key: String
        /// The value, possibly empty.
        public var value: String

        /// Makes a pair.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The command, e.g. `put` or `get_result`.
    public var command: String
    /// The pairs after the command, in wire order.
    public var fields: [Field]

    /// Makes a message from a command and pairs given in order.
    public init(_ command: String, _ pairs: KeyValuePairs<String, String> = [:]) {
        self.command = command
        self.fields = pairs.map { Field($0.key, $0.value) }
    }

    /// Makes a message from a command and a list of fields.
    public init(command: String, fields: [Field]) {
        self.command = command
        self.fields = fields
    }

    /// The value of the first pair with this key; setting replaces it or appends a pair
    /// (nil removes every pair with the key).
    public subscript(key: String) -> String? {
        get { fields.first { $0.key == key }?.value }
        set {
            guard let newValue else {
                fields.removeAll { $0.key == key }
                return
            }
            if let index = fields.firstIndex(where: { $0.key == key }) {
                fields[index].value = newValue
            } else {
                fields.append(Field(key, newValue))
            }
        }
    }

    /// The value of a key read as a decimal integer, nil when missing or not a number.
    public func int(_ key: String) -> Int? {
        self[key].flatMap { Int($0) }
    }

    /// The `rc` of a response, nil when the server left it out.
    public var rc: Int? { int("rc") }

    /// Whether a response reports success: `rc` missing or zero.
    public var succeeded: Bool { self["rc"] == nil || rc == 0 }

    /// The wire form: `cmd=COMMAND k=v ...` and a trailing newline.
    public var line: String {
        var text = "cmd=" + command
        for field in fields {
            text += " " + field.key + "=" + field.value
        }
        return text + "\n"
    }

    /// The wire form without the newline, for logs.
    public var description: String { String(line.dropLast()) }

    /// Whether a string can travel as a key or value: no space, tab, CR or LF.
    public static func isWireWord(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Parses one line, with or without its trailing newline (CRLF is accepted too).
    public static func parse(_ line: some StringProtocol) throws(PMIError) -> PMIMessage {
        var text = Substring(line)
        while let last = text.last, last == "\n" || last == "\r" || last == "\r\n" {
            text = text.dropLast()
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !words.isEmpty else { throw PMIError("empty PMI line") }
        var command: String?
        var fields: [Field] = []
        var lastWasCommand = false
        for word in words {
            guard let equals = word.firstIndex(of: "=") else {
                // A bare word continues the previous value (free text such as msg=).
                guard !fields.isEmpty, !lastWasCommand else {
                    throw PMIError("PMI line has a word without '=': \(quoted(text))")
                }
                fields[fields.count - 1].value += " " + word
                continue
            }
            let key = String(word[..<equals])
            let value = String(word[word.index(after: equals)...])
            guard !key.isEmpty else {
                throw PMIError("PMI line has an empty key: \(quoted(text))")
            }
            if key == "cmd" || key == "mcmd" {
                guard command == nil else {
                    throw PMIError("PMI line has two commands: \(quoted(text))")
                }
                guard !value.isEmpty else { throw PMIError("PMI line has an empty command: \(quoted(text))") }
                command = value
                lastWasCommand = true
            } else {
                fields.append(Field(key, value))
                lastWasCommand = false
            }
        }
        guard let command else { throw PMIError("PMI line has no cmd=: \(quoted(text))") }
        return PMIMessage(command: command, fields: fields)
    }

    /// A line for an error message, shortened when long.
    static func quoted(_ text: Substring) -> String {
        let shown = text.count > 120 ? text.prefix(120) + "..." : text
        return "\"" + shown + "\""
    }
}
