// The one engine for `-o FORMAT` output (`fluxs jobs`, `fluxs resource`): Python format
// strings restricted to what Flux uses. Text between fields is copied ("{{" and "}}" are
// braces); a field is
//
//   {[?:|+:|?+:]NAME[!CONV][:SPEC]}      SPEC = [[FILL]ALIGN][0][WIDTH][.PRECISION][TYPE][h][+]
//
//   ALIGN  < left, > right, ^ centre; default: numbers right, text left
//   0      pad numbers with zeros (right-aligned)
//   .P     text: keep at most P characters; numbers with type f: P decimals
//   TYPE   d (integer), f (fixed point), s (text)
//   h      an empty value, "0s", "0.0" or "0:00:00" prints as "-"
//   +      when precision cuts text, its last kept character becomes "+"
//   ?:     drop the whole column (and one following space) if it is empty or 0 in
//          every row
//   +:     widen the column to its widest value (converted, without SPEC; blank values
//          count as empty) and its heading when there is a header: WIDTH becomes a
//          minimum, as in Flux's default `+:{username:<8}`
//   ?+:    both
//   CONV   !F duration as flux-jobs prints FSD ("2.000s", "1.017m"), !H duration as H:MM:SS, !D time as
//          ISO 8601 local time, !d time through strftime: {t_submit!d:%b%d %R::>12}
//          (the strftime pattern, then "::", then SPEC), !P a fraction as a percentage
//          ("50%", "12.3%", "0.25%": three significant digits, two decimals below 1%)
//
// A command may give the set of its field names: a format using any other is refused.
// Headers come from a caller-supplied heading function (by default the name upper-cased),
// formatted with the field's fill, alignment, width and precision. Lines lose trailing
// spaces. Values come from a caller-supplied function, so the engine knows nothing about
// jobs or resources (FluxsJobs/JobFormat+Fields.swift, fluxs/Resource*.swift do).

/// A field's value before formatting.
public enum FieldValue: Sendable, Hashable {
    /// Text.
    case text(String)
    /// An integer.
    case int(Int)
    /// A real number.
    case real(Double)
    /// No value (prints as "", or "-" with h).
    case none

    /// True for values `?:` treats as empty: none, "", 0.
    public var isBlank: Bool {
        switch self {
        case .none: true
        case .text(let s): s.isEmpty
        case .int(let i): i == 0
        case .real(let d): d == 0
        }
    }
}

/// A parsed output format.
public struct OutputFormat: Sendable, Hashable {
    /// One field's format spec.
    public struct Spec: Sendable, Hashable {
        /// The padding character.
        public var fill: Character = " "
        /// "<", ">", "^", or nil for the value's default.
        public var align: Character?
        /// Pad numbers with zeros.
        public var zero = false
        /// The minimum width.
        public var width: Int?
        /// Text: the maximum length; reals: decimals.
        public var precision: Int?
        /// "d", "f", "s" or nil.
        public var type: Character?
        /// Print blank values as "-".
        public var hyphen = false
        /// Mark cut text with "+".
        public var plusMarker = false
    }

    /// A piece of a format.
    public enum Piece: Sendable, Hashable {
        /// Literal text.
        case text(String)
        /// A field; `dropIfBlank` for `?:`, `expand` for `+:` (both for `?+:`).
        case field(name: String, conversion: Character?, strftime: String?, spec: Spec, dropIfBlank: Bool, expand: Bool)
    }

    /// The pieces, in order.
    public let pieces: [Piece]

    /// The field names, in order.
    public var fieldNames: [String] {
        pieces.compactMap { if case .field(let name, _, _, _, _, _) = $0 { name } else { nil } }
    }

    /// Parses `text`; when `fields` is given, every field must be one of them. Throws a
    /// ParseError naming the format and the fault: an unbalanced brace, a bad spec or
    /// conversion, an unknown field.
    public init(_ text: String, fields: Set<String>? = nil) throws(ParseError) {
        let fault = { (what: String) in ParseError("format \"\(text)\": \(what)") }
        var pieces: [Piece] = []
        var literal = ""
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if c == "{", chars.first == "{" { chars.removeFirst(); literal.append("{"); continue }
            if c == "}", chars.first == "}" { chars.removeFirst(); literal.append("}"); continue }
            if c == "}" { throw fault("single \"}\" (write \"}}\" for a brace)") }
            if c != "{" { literal.append(c); continue }
            var (dropIfBlank, expand) = (false, false)
            for (sentinel, drop, widen) in [("?+:", true, true), ("+:", false, true), ("?:", true, false)]
            where literal.hasSuffix(sentinel) {
                literal.removeLast(sentinel.count)
                (dropIfBlank, expand) = (drop, widen)
                break
            }
            if !literal.isEmpty { pieces.append(.text(literal)); literal = "" }
            var body = ""
            var closed = false
            while let d = chars.popFirst() {
                if d == "}" { closed = true; break }
                body.append(d)
            }
            if !closed { throw fault("missing \"}\"") }
            let piece: Piece
            do { piece = try Self.field(body, dropIfBlank: dropIfBlank, expand: expand) } catch { throw fault(error.message) }
            if case .field(let name, _, _, _, _, _) = piece, let fields, !fields.contains(name) {
                throw fault("unknown field \"\(name)\" (fields: \(fields.sorted().joined(separator: ", ")))")
            }
            pieces.append(piece)
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        self.pieces = pieces
    }

    /// Parses "NAME[!CONV][:SPEC]".
    private static func field(_ body: String, dropIfBlank: Bool, expand: Bool) throws(ParseError) -> Piece {
        var head = Substring(body)
        var specText = Substring("")
        if let colon = body.firstIndex(of: ":") {
            head = body[..<colon]
            specText = body[body.index(after: colon)...]
        }
        var conversion: Character?
        if let bang = head.firstIndex(of: "!") {
            let rest = head[head.index(after: bang)...]
            guard rest.count == 1, let c = rest.first, "FHDdP".contains(c) else {
                throw ParseError("unknown conversion \"!\(rest)\" (known: !F !H !D !d !P)")
            }
            conversion = c
            head = head[..<bang]
        }
        if head.isEmpty { throw ParseError("empty field name") }
        var strftime: String?
        if conversion == "d" {
            let full = Array(specText)
            if let at = full.indices.dropLast().first(where: { full[$0] == ":" && full[$0 + 1] == ":" }) {
                strftime = String(full[..<at])
                specText = Substring(String(full[(at + 2)...]))
            } else {
                strftime = full.isEmpty ? nil : String(full)
                specText = ""
            }
        }
        return .field(name: String(head), conversion: conversion, strftime: strftime,
                      spec: try parseSpec(specText), dropIfBlank: dropIfBlank, expand: expand)
    }

    /// Parses SPEC (see the grammar above).
    static func parseSpec(_ text: Substring) throws(ParseError) -> Spec {
        var spec = Spec()
        var rest = Array(text)[...]
        if rest.last == "+" { spec.plusMarker = true; rest.removeLast() }
        if rest.last == "h" { spec.hyphen = true; rest.removeLast() }
        if let last = rest.last, "dfs".contains(last) { spec.type = last; rest.removeLast() }
        if rest.count >= 2, "<>^".contains(rest[rest.startIndex + 1]) {
            spec.fill = rest.removeFirst()
            spec.align = rest.removeFirst()
        } else if let first = rest.first, "<>^".contains(first) {
            spec.align = rest.removeFirst()
        }
        if rest.first == "0" { spec.zero = true; rest.removeFirst() }
        let widthDigits = rest.prefix(while: \.isASCIIDigit)
        rest.removeFirst(widthDigits.count)
        if !widthDigits.isEmpty { spec.width = try Self.size(widthDigits, of: text) }
        if rest.first == "." {
            rest.removeFirst()
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty else { throw ParseError("\"\(text)\": a number must follow \".\"") }
            rest.removeFirst(digits.count)
            spec.precision = try Self.size(digits, of: text)
        }
        if !rest.isEmpty { throw ParseError("\"\(text)\" is not [[fill]align][0][width][.precision][type][h][+]") }
        return spec
    }

    /// The most a width or precision may be: formats come from any client (a guest's
    /// `fluxs jobs -o`) and are rendered by the job manager, whose memory they must not
    /// take.
    public static let maximumSize = 10_000

    /// A width or precision, 0 to `maximumSize`.
    private static func size(_ digits: ArraySlice<Character>, of text: Substring) throws(ParseError) -> Int {
        guard digits.count <= 5, let n = Int(String(digits)), n <= maximumSize else {
            throw ParseError("\"\(text)\": widths and precisions are at most \(maximumSize)")
        }
        return n
    }
}

extension Character {
    /// True for 0-9.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
