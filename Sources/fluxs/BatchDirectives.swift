// Submission directives in a batch script (RFC 36; flux-core's
// src/bindings/python/flux/job/directives.py, whose rules and messages these follow):
//   - a directive is a line PREFIX TAG REST: PREFIX zero or more characters that are
//     not letters, digits or "_" (`#`, `--`, `//`, `%`, or nothing inside a
//     docstring), TAG `flux:` or `FLUX:` (fluxs also reads `fluxs:` and `FLUXS:`);
//     PREFIX plus TAG is the sentinel, and every directive of a script has the same one;
//   - directives form one group: after the first, a line that is not blank and does not
//     start with the prefix ends it, and a directive after that is an error;
//   - REST is split as a POSIX shell would (Python's shlex: quotes, backslashes, `#`
//     comments to the end of the line, `();<>|&` runs as separate words); an empty
//     REST is nothing, and REST must start with an option;
//   - """...""" or '''...''' on one line is one quoted word; a triple quote at the end
//     of a directive opens a value that runs over the following directives up to the
//     matching triple quote at the end of one, their common indent removed.
import ArgumentParser
import FluxsFormats

/// The submission directives of a batch script.
enum BatchDirectives {
    /// The submission options the script's directives give.
    static func parse(_ script: String) throws -> SubmissionOptions {
        let words: [String]
        do throws(ParseError) { words = try self.words(script) } catch {
            throw CommandFailure("batch directives: \(error.message)")
        }
        do {
            let parsed = try BatchOptions.parse(words)
            return try parsed.slots.applied(to: parsed.submission)
        } catch {
            throw CommandFailure("batch directives: \(SubmissionOptions.message(for: error))")
        }
    }

    /// The option words of every directive of `script`, in order.
    static func words(_ script: String) throws(ParseError) -> [String] {
        var words: [String] = []
        var sentinel: String?
        var prefix = ""
        var started = false
        var disabledAfter: Int?
        var multiline = MultiLine()
        for (index, line) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineno = index + 1
            guard let (linePrefix, tag, rest) = match(line) else {
                if multiline.inProgress {
                    throw ParseError("line \(lineno): unterminated multi-line quote at line \(multiline.startLine): `\(multiline.start)'")
                }
                if started, disabledAfter == nil, !line.hasPrefix(String(prefix.reversed().drop(while: \.isWhitespace).reversed())),
                   !line.allSatisfy(\.isWhitespace) {
                    disabledAfter = lineno - 1
                }
                continue
            }
            started = true
            if let disabledAfter {
                throw ParseError("line \(lineno): orphan '\(tag)' detected: directives disabled after line \(disabledAfter)")
            }
            let value = try tripleQuoted(rest, lineno: lineno)
            if let sentinel, sentinel != linePrefix + tag {
                throw ParseError("line \(lineno): sentinel changed from '\(sentinel)' to '\(linePrefix + tag)' (all directives in a file must use the same sentinel; to disable a directive, put # after the sentinel)")
            }
            if sentinel == nil {
                sentinel = linePrefix + tag
                prefix = linePrefix
            }
            if value.hasSuffix(#"""""#) || value.hasSuffix("'''") {
                if let joined = try multiline.process(value, lineno: lineno) {
                    words += try directive(joined, lineno: multiline.startLine)
                }
            } else if multiline.inProgress {
                multiline.append(value)
            } else if !value.isEmpty {
                words += try directive(value, lineno: lineno)
            }
        }
        if multiline.inProgress {
            throw ParseError("unterminated multi-line quote at line \(multiline.startLine): `\(multiline.start)'")
        }
        return words
    }

    /// PREFIX, TAG and the rest of a directive line; nil for any other line.
    static func match(_ line: Substring) -> (String, String, String)? {
        let prefixEnd = line.firstIndex { $0.isLetter || $0.isNumber || $0 == "_" } ?? line.endIndex
        let after = line[prefixEnd...]
        for tag in ["flux:", "FLUX:", "fluxs:", "FLUXS:"] where after.hasPrefix(tag) {
            var rest = String(after.dropFirst(tag.count))
            if rest.hasSuffix("\r") { rest.removeLast() }
            return (String(line[..<prefixEnd]), tag, rest)
        }
        return nil
    }

    /// The words of one directive; it must be empty or start with an option.
    static func directive(_ value: String, lineno: Int) throws(ParseError) -> [String] {
        let words = try ShellWords.split(value, line: lineno)
        if let first = words.first, !first.hasPrefix("-") {
            throw ParseError("line \(lineno): Unknown directive: \(value)")
        }
        return words
    }

    /// `value` with each paired """...""" (or '''...''') replaced by its content quoted
    /// for the shell; a triple quote followed by more text is an error.
    static func tripleQuoted(_ value: String, lineno: Int) throws(ParseError) -> String {
        for quote in [#"""""#, "'''"] {
            let pieces = value.split(separator: quote, omittingEmptySubsequences: false)
            let count = pieces.count - 1
            guard count > 0, count % 2 == 0 else { continue }
            // Greedy, as flux-core's regular expression: the first opening to the last closing.
            let opening = value.firstRange(of: quote)!
            let closing = value[opening.upperBound...].ranges(of: quote).last!
            return String(value[..<opening.lowerBound]) + ShellWords.quote(String(value[opening.upperBound..<closing.lowerBound]))
                + String(value[closing.upperBound...])
        }
        for quote in [#"""""#, "'''"] {
            if let range = value.firstRange(of: quote), range.upperBound < value.endIndex {
                throw ParseError("line \(lineno): unclosed triple quote: \(value.trimmingWhitespace())")
            }
        }
        return value
    }

    /// A triple-quoted value over several directives.
    struct MultiLine {
        var quote = ""
        var inProgress = false
        var startLine = 0
        var start = ""
        var indent = ""
        var lines: [String] = []

        mutating func append(_ value: String) {
            lines.append(value.hasPrefix(indent) ? String(value.dropFirst(indent.count)) : value)
        }

        /// Takes a directive ending in a triple quote: opens the value, or closes it and
        /// returns the directive it makes (its first line and the quoted lines after).
        mutating func process(_ value: String, lineno: Int) throws(ParseError) -> String? {
            let quotes = String(value.suffix(3))
            var closed = false
            if !inProgress {
                quote = quotes
                let stripped = value.drop { $0 == " " || $0 == "\t" }
                indent = String(value.prefix(value.count - stripped.count))
                inProgress = true
                start = String(stripped)
                startLine = lineno
            } else if quotes != quote {
                append(value)
                return nil
            } else {
                closed = true
            }
            append(String(value.dropLast(3)))
            guard closed else { return nil }
            let result = lines[0] + ShellWords.quote(lines.dropFirst().joined(separator: "\n"))
            if result.contains(quote) {
                throw ParseError("improperly terminated triple quoted string at: `\(start)'")
            }
            self = MultiLine()
            return result
        }
    }
}

/// Words as Python's `shlex.shlex(text, posix=True, punctuation_chars=True)` with
/// `whitespace_split` and both quotes escapable gives them (flux-core's directives).
enum ShellWords {
    static let punctuation: Set<Character> = ["(", ")", ";", "<", ">", "|", "&"]

    static func split(_ text: String, line: Int) throws(ParseError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var punct = false
        var quote: Character?
        var chars = Array(text)[...]
        func end() {
            if inWord { words.append(current) }
            current = ""
            inWord = false
            punct = false
        }
        while let char = chars.popFirst() {
            if let q = quote {
                if char == q {
                    quote = nil
                } else if char == "\\", let next = chars.first, next == q || next == "\\" {
                    current.append(next)
                    chars.removeFirst()
                } else {
                    current.append(char)
                }
                continue
            }
            if punct && !punctuation.contains(char) { end() }
            if char == " " || char == "\t" || char == "\n" || char == "\r" {
                end()
            } else if char == "#" {
                break
            } else if punctuation.contains(char) {
                if !punct { end() }
                current.append(char)
                inWord = true
                punct = true
            } else if char == "\\" {
                if let next = chars.popFirst() { current.append(next) }
                inWord = true
            } else if char == "'" || char == "\"" {
                quote = char
                inWord = true
            } else {
                current.append(char)
                inWord = true
            }
        }
        if quote != nil { throw ParseError("line \(line): \(text): No closing quotation") }
        end()
        return words
    }

    /// `text` quoted for the shell as Python's shlex.quote does.
    static func quote(_ text: String) -> String {
        if text.isEmpty { return "''" }
        if text.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || "@%+=:,./-_".contains($0) }) { return text }
        return "'" + text.replacing("'", with: #"'"'"'"#) + "'"
    }
}
