// The constraint query syntax (RFC 35), as `--requires` takes it, compiled to the RFC 31
// JSON constraint object (`JobConstraint` reads that object back).
// A query is terms `operator:operand` (the operator defaults to `properties`, whose operand
// is split on commas; `host`/`hosts` mean `hostlist`, `rank` means `ranks`), joined by
// `&`/`&&`/`and`, `|`/`||`/`or`, juxtaposition (and), `not EXPR`, `-TERM` and parentheses;
// quotes ('...' or "...") keep whitespace and reserved characters in an operand.
// This follows flux-core's MiniConstraintParser (a PLY grammar) token for token, including
// how it resolves the grammar's conflicts (a rule with a precedence reduces before a token
// without one: `a|b c` is `(a|b) and c`), how it merges like terms (`a b` is
// {"properties": ["a", "b"]}, `x & y & z` one "and" of three) and its error messages.

/// The RFC 35 constraint query parser of the submission commands.
public enum ConstraintQuery {
    /// Compiles `query` to an RFC 31 constraint object, e.g. "host:n[1-2] -gpu" to
    /// {"and": [{"hostlist": ["n[1-2]"]}, {"not": [{"properties": ["gpu"]}]}]}.
    /// Throws a `ParseError` with flux-core's wording, e.g. "Unclosed parenthesis in position 0".
    public static func parse(_ query: String) throws(ParseError) -> JSONValue {
        var lexer = Lexer(query)
        let tokens = try lexer.tokens()
        var parser = Parser(tokens: tokens, query: query)
        return try parser.parse()
    }

    /// Operator names that stand for another.
    static let operatorNames = ["host": "hostlist", "hosts": "hostlist", "rank": "ranks"]

    // MARK: - Lexer

    enum Kind: Equatable {
        case not, and, or, negate, lparen, rparen, term(String)
    }

    struct Token {
        var kind: Kind
        var position: Int
        /// The text as written (for "Invalid token" messages).
        var text: String
    }

    struct Lexer {
        let scalars: [Unicode.Scalar]
        var index = 0
        var pending: (text: String, position: Int)?

        init(_ text: String) { scalars = Array(text.unicodeScalars) }

        static func isSpace(_ c: Unicode.Scalar) -> Bool {
            c == " " || c == "\t" || c == "\r" || c == "\n" || c == "\u{0C}" || c == "\u{0B}"
        }

        static func isWord(_ c: Unicode.Scalar) -> Bool {
            c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
        }

        /// A term character outside quotes: not whitespace, a parenthesis, | & or a quote.
        static func isTermCharacter(_ c: Unicode.Scalar) -> Bool {
            !(isSpace(c) || c == "(" || c == ")" || c == "|" || c == "&" || c == "\"" || c == "'")
        }

        /// True when `word` is at the index and is followed by a word boundary.
        func keyword(_ word: String) -> Bool {
            let w = Array(word.unicodeScalars)
            guard index + w.count <= scalars.count, Array(scalars[index..<(index + w.count)]) == w else { return false }
            return index + w.count == scalars.count || !Self.isWord(scalars[index + w.count])
        }

        /// A term, joined to a pending "op:" that came just before it.
        mutating func term(_ text: String, at position: Int) -> Token? {
            if let held = pending {
                pending = nil
                return Token(kind: .term(held.text + text), position: held.position, text: held.text + text)
            }
            if text.hasSuffix(":") {
                pending = (text, position)
                return nil
            }
            return Token(kind: .term(text), position: position, text: text)
        }

        mutating func tokens() throws(ParseError) -> [Token] {
            var out: [Token] = []
            while index < scalars.count {
                let c = scalars[index], start = index
                if Self.isSpace(c) { index += 1; continue }
                if c == "-" { index += 1; out.append(Token(kind: .negate, position: start, text: "-")); continue }
                if keyword("not") { index += 3; out.append(Token(kind: .not, position: start, text: "not")); continue }
                if c == "&" || keyword("and") {
                    let length = c == "&" ? (index + 1 < scalars.count && scalars[index + 1] == "&" ? 2 : 1) : 3
                    index += length
                    out.append(Token(kind: .and, position: start, text: String(String.UnicodeScalarView(scalars[start..<index]))))
                    continue
                }
                if c == "|" || keyword("or") {
                    let length = c == "|" ? (index + 1 < scalars.count && scalars[index + 1] == "|" ? 2 : 1) : 2
                    index += length
                    out.append(Token(kind: .or, position: start, text: String(String.UnicodeScalarView(scalars[start..<index]))))
                    continue
                }
                if c == "(" { index += 1; out.append(Token(kind: .lparen, position: start, text: "(")); continue }
                if c == ")" { index += 1; out.append(Token(kind: .rparen, position: start, text: ")")); continue }
                if c == "'" || c == "\"" {
                    index += 1
                    let open = index
                    while index < scalars.count, scalars[index] != c { index += 1 }
                    if index == scalars.count {
                        let shown = c == "'" ? "\"'\"" : "'\"'"
                        throw ParseError("Unclosed quote \(shown) at position \(open)")
                    }
                    if index > open, let token = term(String(String.UnicodeScalarView(scalars[open..<index])), at: open) {
                        out.append(token)
                    }
                    index += 1
                    continue
                }
                while index < scalars.count, Self.isTermCharacter(scalars[index]) { index += 1 }
                if let token = term(String(String.UnicodeScalarView(scalars[start..<index])), at: start) {
                    out.append(token)
                }
            }
            if let held = pending { throw ParseError("Missing argument to token '\(held.text)'") }
            return out
        }
    }

    // MARK: - Parser

    /// Pending operators: binary ones with their rule's precedence, `not`, and "(".
    enum Operator {
        case or, and, juxtaposed, not, lparen

        /// The rule's precedence level and whether it is left-associative.
        var rule: (level: Int, left: Bool) {
            switch self {
            case .or: (1, true)
            case .and, .juxtaposed: (2, true)
            case .not: (3, false)
            case .lparen: (0, false)
            }
        }
    }

    /// An operator-precedence parser that resolves shifts and reductions as PLY resolves the
    /// conflicts of flux-core's grammar: reduce when the lookahead token's level is lower than
    /// the pending rule's (tokens without a precedence have level 0), or equal and the rule is
    /// left-associative; shift otherwise.
    struct Parser {
        let tokens: [Token]
        let query: String
        var next = 0
        var operands: [JSONValue] = []
        var operators: [Operator] = []
        var depth = 0

        init(tokens: [Token], query: String) {
            self.tokens = tokens
            self.query = query
        }

        /// The lookahead's level: or 1, and 2, not 3, "-" 4, the rest 0; nil at ")" or the end
        /// (which only reduce).
        static func level(_ kind: Kind?) -> Int? {
            switch kind {
            case .or: 1
            case .and: 2
            case .not: 3
            case .negate: 4
            case .term, .lparen: 0
            case .rparen, nil: nil
            }
        }

        func invalid(_ token: Token) -> ParseError {
            if depth < 0 { return ParseError("Mismatched parentheses starting at position \(token.position).") }
            return ParseError("Invalid token '\(token.text)' at position \(token.position)")
        }

        func endOfInput() -> ParseError {
            if depth > 0, let open = tokens.last(where: { $0.kind == .lparen }) {
                return ParseError("Unclosed parenthesis in position \(open.position)")
            }
            return ParseError("Unexpected end of input in '\(query)'")
        }

        mutating func parse() throws(ParseError) -> JSONValue {
            while true {
                // An operand is expected.
                guard next < tokens.count else { throw endOfInput() }
                let token = tokens[next]
                next += 1
                switch token.kind {
                case .not:
                    operators.append(.not)
                    continue
                case .lparen:
                    depth += 1
                    operators.append(.lparen)
                    continue
                case .negate:
                    guard next < tokens.count else { throw endOfInput() }
                    guard case .term(let text) = tokens[next].kind else { throw invalid(tokens[next]) }
                    next += 1
                    operands.append(["not": [try Self.term(text)]])
                case .term(let text):
                    operands.append(try Self.term(text))
                case .and, .or:
                    throw invalid(token)
                case .rparen:
                    depth -= 1
                    throw invalid(token)
                }
                // An operand is complete: reduce, then see what follows.
                following: while true {
                    let lookahead = next < tokens.count ? tokens[next].kind : nil
                    reducePending(before: lookahead)
                    switch lookahead {
                    case nil:
                        if operators.contains(where: { if case .lparen = $0 { true } else { false } }) { throw endOfInput() }
                        return operands.removeLast()
                    case .rparen:
                        depth -= 1
                        guard case .lparen? = operators.last else { throw invalid(tokens[next]) }
                        operators.removeLast()
                        next += 1
                        continue
                    case .or:
                        operators.append(.or)
                        next += 1
                    case .and:
                        operators.append(.and)
                        next += 1
                    case .not, .negate, .lparen, .term:
                        operators.append(.juxtaposed)
                    }
                    break following
                }
            }
        }

        /// Reduces pending operators (innermost first) that bind before `lookahead`.
        mutating func reducePending(before lookahead: Kind?) {
            while let top = operators.last, top != .lparen {
                if let level = Self.level(lookahead) {
                    let rule = top.rule
                    guard level < rule.level || (level == rule.level && rule.left) else { return }
                }
                operators.removeLast()
                let right = operands.removeLast()
                switch top {
                case .not:
                    operands.append(["not": [right]])
                case .or:
                    let left = operands.removeLast()
                    if case .array(var items)? = left["or"] {
                        items.append(right)
                        operands.append(["or": .array(items)])
                    } else {
                        operands.append(["or": [left, right]])
                    }
                case .and, .juxtaposed:
                    let left = operands.removeLast()
                    operands.append(Self.combine(left, right))
                case .lparen:
                    break
                }
            }
        }

        /// flux-core's combine_like_terms: `and` of two constraints, appending to a left
        /// "and", and merging `properties` terms.
        static func combine(_ left: JSONValue, _ right: JSONValue) -> JSONValue {
            var entries = [left, right]
            if case .array(var items)? = left["and"] {
                items.append(right)
                entries = [["and": .array(items)]]
            }
            var terms: [JSONValue] = []
            var merged: Int?
            for entry in entries {
                guard case .object(let members) = entry, members.count == 1, let key = members.keys.first,
                      key == "properties", case .array(let values) = members[key]! else {
                    terms.append(entry)
                    continue
                }
                if let at = merged, case .array(let before)? = terms[at]["properties"] {
                    terms[at] = ["properties": .array(before + values)]
                } else {
                    merged = terms.count
                    terms.append(entry)
                }
            }
            return terms.count == 1 ? terms[0] : ["and": .array(terms)]
        }

        /// One term: "[operator:]operand".
        static func term(_ text: String) throws(ParseError) -> JSONValue {
            var op = "properties", value = text
            if let colon = text.firstIndex(of: ":") {
                op = String(text[..<colon])
                value = String(text[text.index(after: colon)...])
                op = ConstraintQuery.operatorNames[op] ?? op
            }
            if let bad = op.unicodeScalars.first(where: { !(Lexer.isWord($0) || ".+@-".unicodeScalars.contains($0)) }) {
                throw ParseError("invalid character '\(bad)' in operator '\(op):'")
            }
            if op == "properties" {
                return ["properties": .array(value.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0)) })]
            }
            return .object([op: [.string(value)]])
        }
    }
}
