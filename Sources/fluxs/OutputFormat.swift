// The `-o FORMAT` option of the listing commands (`fluxs resource`, later `fluxs jobs`), in
// the syntax Flux borrows from Python: literal text with `{field}` columns, each optionally
// `{field:SPEC}` where SPEC is `[[fill]align][width][.precision][+]` (align `<` `>` `^`;
// `.precision` cuts longer values; a final `+` marks a cut value with "+"), `{{` and `}}`
// for braces, `?:{field}` for a column dropped when it is empty ("" or "0") in every row,
// and `{field!d:STRFTIME::SPEC}` for a time in seconds since the epoch, shown in local time.
// The formatter only sees strings: commands turn their data into rows of [field: value].
// Invariant: every field of a parsed format is one the command declared.
import FluxsFormats
#if canImport(Glibc)
import Glibc
#endif

/// A parsed output format: literal text and field columns.
struct OutputFormat: Sendable {
    /// How a column places a value narrower than its width.
    enum Alignment: Sendable { case left, right, center }

    /// One `{field...}` column.
    struct Column: Sendable {
        /// The field name, e.g. "nnodes" or "up.ascii".
        var name: String
        /// The character that pads the value to `width`.
        var fill: Character = " "
        /// Where the value sits in its width.
        var alignment: Alignment = .left
        /// The least number of characters the column takes.
        var width = 0
        /// The most characters of the value shown, when set.
        var precision: Int?
        /// True when a value cut to `precision` ends with "+".
        var marksCut = false
        /// True for `?:{field}`: the column is dropped when it is empty in every row.
        var optional = false
        /// For `!d`: the strftime(3) format the value (seconds since the epoch) is shown in.
        var timeFormat: String?
    }

    /// A piece of the format: literal text or a column.
    enum Piece: Sendable {
        case text(String)
        case column(Column)
    }

    /// The pieces in order.
    private(set) var pieces: [Piece]

    /// Parses `text`; every field must be in `fields`. Throws a ParseError naming the fault.
    init(parsing text: String, fields: Set<String>) throws(ParseError) {
        pieces = try Self.parse(text, fields: fields)
    }

    /// The field names the format uses, in order.
    var fieldNames: [String] {
        pieces.compactMap { if case .column(let c) = $0 { c.name } else { nil } }
    }

    /// The header line: each column's heading (from `headings`, else its name uppercased)
    /// placed like the column's values.
    func header(headings: [String: String] = [:]) -> String {
        line { column in
            var plain = column
            plain.marksCut = false
            plain.timeFormat = nil
            return plain.render(headings[column.name] ?? column.name.uppercased())
        }
    }

    /// One row rendered; a field missing from `row` shows as "".
    func render(_ row: [String: String]) -> String {
        line { $0.render(row[$0.name] ?? "") }
    }

    /// The header (unless `header` is false) and one line per row, with the optional
    /// columns that are empty in every row left out.
    func lines(rows: [[String: String]], headings: [String: String] = [:], header: Bool = true) -> [String] {
        let format = droppingEmptyColumns(rows: rows)
        return (header ? [format.header(headings: headings)] : []) + rows.map(format.render)
    }

    /// This format without the optional columns that are empty in every row, each dropped
    /// with the literal text before it (after it, for a leading column).
    func droppingEmptyColumns(rows: [[String: String]]) -> OutputFormat {
        var result = self
        var index = 0
        while index < result.pieces.count {
            guard case .column(let column) = result.pieces[index], column.optional,
                  rows.allSatisfy({ Self.isEmpty($0[column.name]) })
            else {
                index += 1
                continue
            }
            result.pieces.remove(at: index)
            if index > 0, case .text = result.pieces[index - 1] {
                result.pieces.remove(at: index - 1)
                index -= 1
            } else if index < result.pieces.count, case .text = result.pieces[index] {
                result.pieces.remove(at: index)
            }
        }
        return result
    }

    /// Joins the pieces, rendering columns with `cell`; trailing blanks are dropped.
    private func line(_ cell: (Column) -> String) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .column(let column): out += cell(column)
            }
        }
        while out.last == " " { out.removeLast() }
        return out
    }

    /// True for a value an optional column treats as empty.
    private static func isEmpty(_ value: String?) -> Bool {
        value == nil || value == "" || value == "0"
    }
}

// MARK: - Rendering a value

extension OutputFormat.Column {
    /// `value` converted, cut to the precision and padded to the width.
    func render(_ value: String) -> String {
        var text = timeFormat.map { Self.localTime(value, format: $0) } ?? value
        if let precision, text.count > precision {
            text = marksCut && precision > 0 ? String(text.prefix(precision - 1)) + "+" : String(text.prefix(precision))
        }
        let padding = width - text.count
        guard padding > 0 else { return text }
        let pad = { (n: Int) in String(repeating: fill, count: n) }
        switch alignment {
        case .left: return text + pad(padding)
        case .right: return pad(padding) + text
        case .center: return pad(padding / 2) + text + pad(padding - padding / 2)
        }
    }

    /// Seconds since the epoch shown with strftime(3) in local time; "" for "" and the
    /// value itself when it is not a number.
    static func localTime(_ value: String, format: String) -> String {
        guard !value.isEmpty, let seconds = Double(value) else { return value }
        var time = time_t(seconds)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return value }
        var buffer = [CChar](repeating: 0, count: 256)
        let n = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// MARK: - Parsing

extension OutputFormat {
    /// Splits `text` into literal text and columns.
    private static func parse(_ text: String, fields: Set<String>) throws(ParseError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let c = rest.first {
            if rest.hasPrefix("{{") || rest.hasPrefix("}}") {
                literal.append(c)
                rest = rest.dropFirst(2)
            } else if c == "{" || rest.hasPrefix("?:{") {
                let optional = c == "?"
                rest = rest.dropFirst(optional ? 3 : 1)
                guard let close = rest.firstIndex(of: "}") else {
                    throw ParseError("format \"\(text)\": missing \"}\"")
                }
                var column = try parseColumn(rest[..<close], format: text, fields: fields)
                column.optional = optional
                if !literal.isEmpty { pieces.append(.text(literal)) }
                literal = ""
                pieces.append(.column(column))
                rest = rest[rest.index(after: close)...]
            } else if c == "}" {
                throw ParseError("format \"\(text)\": single \"}\" (write \"}}\" for a brace)")
            } else {
                literal.append(c)
                rest = rest.dropFirst()
            }
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }

    /// Parses the inside of `{...}`: NAME[!d][:SPEC], where with !d SPEC is STRFTIME[::SPEC].
    private static func parseColumn(_ body: Substring, format: String, fields: Set<String>) throws(ParseError) -> Column {
        let colon = body.firstIndex(of: ":")
        var head = body[..<(colon ?? body.endIndex)]
        var spec = colon.map { body[body.index(after: $0)...] } ?? ""
        var timeFormat: String?
        if let bang = head.firstIndex(of: "!") {
            let conversion = head[head.index(after: bang)...]
            guard conversion == "d" else {
                throw ParseError("format \"\(format)\": unknown conversion \"!\(conversion)\" (only !d is known)")
            }
            head = head[..<bang]
            if let split = spec.range(of: "::") {
                timeFormat = String(spec[..<split.lowerBound])
                spec = spec[split.upperBound...]
            } else {
                timeFormat = spec.isEmpty ? "%FT%T" : String(spec)
                spec = ""
            }
        }
        let name = String(head)
        guard fields.contains(name) else {
            let known = fields.sorted().joined(separator: ", ")
            throw ParseError("format \"\(format)\": unknown field \"\(name)\" (fields: \(known))")
        }
        var column = Column(name: name, timeFormat: timeFormat)
        try parseSpec(spec, into: &column, format: format)
        return column
    }

    /// Reads `[[fill]align][width][.precision][+]` into `column`.
    private static func parseSpec(_ spec: Substring, into column: inout Column, format: String) throws(ParseError) {
        var rest = spec
        let alignOf: (Character) -> Alignment? = { ["<": .left, ">": .right, "^": .center][$0] }
        if rest.count >= 2, let align = alignOf(rest[rest.index(after: rest.startIndex)]) {
            column.fill = rest.first!
            column.alignment = align
            rest = rest.dropFirst(2)
        } else if let first = rest.first, let align = alignOf(first) {
            column.alignment = align
            rest = rest.dropFirst()
        }
        let width = rest.prefix(while: \.isASCIIDigit)
        column.width = Int(width) ?? 0
        rest = rest.dropFirst(width.count)
        if rest.first == "." {
            let digits = rest.dropFirst().prefix(while: \.isASCIIDigit)
            guard let precision = Int(digits) else {
                throw ParseError("format \"\(format)\": \"\(spec)\": a number must follow \".\"")
            }
            column.precision = precision
            rest = rest.dropFirst(1 + digits.count)
        }
        if rest == "+" {
            column.marksCut = true
            rest = ""
        }
        guard rest.isEmpty else {
            throw ParseError("format \"\(format)\": \"\(spec)\" is not [[fill]align][width][.precision][+]")
        }
    }
}

extension Character {
    /// True for "0" through "9".
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
