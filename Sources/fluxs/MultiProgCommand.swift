// `fluxs multi-prog CONFIG`: multiple program, multiple data (MPMD). Run as the job's
// command (`fluxs run -n4 fluxs multi-prog app.conf`), each task reads its rank from
// FLUXS_TASK_RANK (set by fluxs-shell), finds the line of CONFIG for it and replaces
// itself with that line's command. As flux-multi-prog(1):
//
//   RANKS COMMAND ARGS...   RANKS is an RFC 22 idset of task ranks, or `*` for every
//                           rank that no other line names (the last `*` line counts);
//                           the first line naming a rank wins
//   %t  %o                  in COMMAND and ARGS: the task's rank, and its position
//                           (0-based) in RANKS (0 on a `*` line)
//
// Lines are split as Python's shlex does with posix=True, punctuation_chars=True,
// whitespace_split=True and escapedquotes "\"'" (flux-core's parser): `#` starts a
// comment wherever a word could start or continue, quotes group, a backslash escapes
// (inside quotes only the quote and the backslash), `();<>|&` runs are words of their
// own. A line with ranks and no command is ignored. --dry-run prints, for each rank,
// "RANK: ARGS" with the arguments quoted as shlex.quote does.
import ArgumentParser
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Runs a different command per task.
struct MultiProgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multi-prog",
        abstract: "Run a different program per task of a job (MPMD), as the job's command.",
        discussion: """
            Each line of CONFIG is "RANKS COMMAND ARGS...": an idset of task ranks (or * \
            for the ranks no other line names) and the command those tasks run; %t is the \
            task's rank and %o its position in RANKS. Use it as the command of a job: \
            fluxs run -n4 fluxs multi-prog app.conf.
            """)

    @Option(name: [.customShort("n", allowingJoined: true), .customLong("dry-run")],
            help: ArgumentHelp("Run nothing: print what the task ranks RANKS (an idset) would run.", valueName: "RANKS"))
    var dryRun: String?
    @Argument(help: "The configuration file.")
    var config: String

    func validate() throws {
        if let dryRun {
            do { _ = try IDSet(parsing: dryRun) } catch { throw ValidationError("--dry-run: \(error.message)") }
        }
    }

    func run() throws {
        let program: MultiProg
        do {
            program = try MultiProg(text: try Terminal.readFile(config), name: config)
        } catch let error as MultiProg.Failure {
            throw CommandFailure(error.message)
        }
        if let dryRun {
            for rank in try IDSet(parsing: dryRun) {
                let line: MultiProg.Line
                do { line = try program.find(rank) } catch { throw CommandFailure(error.message) }
                print("\(rank): " + line.arguments(rank: rank).map(Shlex.quote).joined(separator: " "))
            }
            return
        }
        guard let text = getenv("FLUXS_TASK_RANK").map({ String(cString: $0) }), let rank = UInt32(text) else {
            throw CommandFailure("FLUXS_TASK_RANK not found or invalid")
        }
        let argv: [String]
        do { argv = try program.find(rank).arguments(rank: rank) } catch { throw CommandFailure(error.message) }
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cargs)
        throw CommandFailure("\(argv[0]): \(String(cString: strerror(errno)))")
    }
}

/// A parsed multi-prog configuration.
struct MultiProg {
    /// A configuration error, with the file and line.
    struct Failure: Error {
        var message: String
    }

    /// One line: its ranks (nil for `*`) and its words after them.
    struct Line {
        var ranks: IDSet?
        var words: [String]

        /// The words with %t (the rank) and %o (its position in the line's ranks) filled in.
        func arguments(rank: UInt32) -> [String] {
            let offset = ranks?.index(of: rank) ?? 0
            return words.map { word in
                var out = ""
                var rest = Substring(word)
                while let percent = rest.firstIndex(of: "%") {
                    out += rest[..<percent]
                    let next = rest.index(after: percent)
                    if next < rest.endIndex, rest[next] == "t" || rest[next] == "o" {
                        out += rest[next] == "t" ? String(rank) : String(offset)
                        rest = rest[rest.index(after: next)...]
                    } else {
                        out += "%"
                        rest = rest[next...]
                    }
                }
                return out + rest
            }
        }
    }

    private(set) var lines: [Line] = []
    private(set) var fallback: Line?
    let name: String

    /// Parses `text`, the file `name`.
    init(text: String, name: String) throws(Failure) {
        self.name = name
        // Python reads text files with universal newlines.
        let normalized = text.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
        var rest = Substring(normalized)
        var number = 0
        while !rest.isEmpty {
            number += 1
            let end = rest.firstIndex(of: "\n").map { rest.index(after: $0) } ?? rest.endIndex
            let raw = rest[..<end]
            rest = rest[end...]
            let words: [String]
            do { words = try Shlex.split(raw) } catch {
                throw Failure(message: "\(name): line \(number): '\(raw.trimmingTrailingWhitespace)': \(error.message)")
            }
            guard let target = words.first else { continue }
            var line = Line(ranks: nil, words: Array(words.dropFirst()))
            if target != "*" {
                do { line.ranks = try IDSet(parsing: target) } catch {
                    throw Failure(message: "\(name): line \(number): invalid idset: \(target)")
                }
            }
            if line.words.isEmpty { continue }
            if line.ranks == nil { fallback = line } else { lines.append(line) }
        }
    }

    /// The line for `rank`: the first naming it, else the `*` line.
    func find(_ rank: UInt32) throws(Failure) -> Line {
        if let line = lines.first(where: { $0.ranks!.contains(rank) }) { return line }
        if let fallback { return fallback }
        throw Failure(message: "\(name): No matching line for rank \(rank)")
    }
}

extension StringProtocol {
    /// The text without trailing spaces, tabs, newlines and other ASCII whitespace (Python's rstrip).
    var trimmingTrailingWhitespace: String {
        var text = String(self)
        while let last = text.last, [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"].contains(last) { text.removeLast() }
        return text
    }
}

/// Python's shlex, as flux-core's multi-prog configures it (see the top of this file).
enum Shlex {
    private static let whitespace: Set<Character> = [" ", "\t", "\r", "\n"]
    private static let punctuation: Set<Character> = ["(", ")", ";", "<", ">", "|", "&"]
    private static let quotes: Set<Character> = ["'", "\""]
    private enum State: Equatable { case space, word, punct, quote(Character), escape }

    /// The words of one line (its newline included, as Python reads it).
    static func split(_ line: some StringProtocol) throws(ParseError) -> [String] {
        var words: [String] = []
        var token = ""
        var quoted = false
        var state = State.space
        var escaped = State.word // where an escape returns to: .word or .quote(q)
        var chars = Array(line)
        var i = 0
        func emit() {
            if !token.isEmpty || quoted { words.append(token) }
            token = ""
            quoted = false
        }
        while true {
            let c: Character? = i < chars.count ? chars[i] : nil
            i += 1
            switch state {
            case .space:
                guard let c else { return words }
                if whitespace.contains(c) {
                    continue
                } else if c == "#" {
                    chars = []  // the rest of the line is a comment
                    i = 0
                } else if c == "\\" {
                    escaped = .word
                    state = .escape
                } else if punctuation.contains(c) {
                    token = String(c)
                    state = .punct
                } else if quotes.contains(c) {
                    state = .quote(c)
                } else {
                    token = String(c)
                    state = .word
                }
            case .quote(let q):
                quoted = true
                guard let c else { throw ParseError("No closing quotation") }
                if c == q {
                    state = .word
                } else if c == "\\" {
                    escaped = state
                    state = .escape
                } else {
                    token.append(c)
                }
            case .escape:
                guard let c else { throw ParseError("No escaped character") }
                // Inside quotes only the quote itself and the backslash are escaped.
                if case .quote(let q) = escaped, c != q, c != "\\" { token.append("\\") }
                token.append(c)
                state = escaped
            case .word, .punct:
                guard let c else {
                    emit()
                    return words
                }
                if whitespace.contains(c) {
                    state = .space
                    emit()
                } else if c == "#" {
                    chars = []
                    i = 0
                    state = .space
                    emit()
                } else if state == .punct {
                    if punctuation.contains(c) {
                        token.append(c)
                    } else {
                        i -= 1  // read it again as the start of the next word
                        state = .space
                        emit()
                    }
                } else if quotes.contains(c) {
                    state = .quote(c)
                } else if c == "\\" {
                    escaped = .word
                    state = .escape
                } else if punctuation.contains(c) {
                    i -= 1
                    state = .space
                    emit()
                } else {
                    token.append(c)
                }
            }
        }
    }

    /// A word quoted for a POSIX shell when it needs it (Python's shlex.quote).
    static func quote(_ word: String) -> String {
        if word.isEmpty { return "''" }
        let safe = word.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "_@%+=:,./-".unicodeScalars.contains(s)
        }
        if safe { return word }
        return "'" + word.replacing("'", with: "'\"'\"'") + "'"
    }
}
