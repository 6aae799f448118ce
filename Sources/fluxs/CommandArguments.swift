// Commands that run a program (`fluxs start CMD`, `fluxs submit CMD`) take their
// options first and everything from the first word that is not an option on, as the
// program's own argument list (dashes included), as Flux does.
//
// swift-argument-parser hands such commands their words through a passthrough
// capture, which also catches short options written with a joined value that holds
// "=" (`-Sname=value`): those are picked out here.
import ArgumentParser

/// Splits the passthrough capture of a command line into options and the program.
struct CommandArguments {
    /// Values of the options found in the capture, by long name.
    var options: [String: [String]] = [:]
    /// The program's argv.
    var program: [String] = []

    /// Values of a short option with a joined value (kept for callers that key by letter).
    var joined: [Character: [String]] { letters.reduce(into: [:]) { $0[$1.key] = options[$1.value] } }
    private var letters: [Character: String] = [:]

    /// Splits `captured`: leading `-Xvalue` and `-X value` words for letters in
    /// `joinedLetters` (keyed by their long names), `--name=value` and `--name value` for those long names and
    /// for `longOptions`, are options; a leading "--" is dropped; any other option before
    /// the program is a usage error.
    init(_ captured: [String], joinedLetters: [Character: String], longOptions: Set<String> = [],
         command: any ParsableCommand.Type) throws {
        letters = joinedLetters
        let longNames = longOptions.union(joinedLetters.values)
        var words = captured[...]
        while let word = words.first, word.hasPrefix("-"), word.count > 1 {
            words = words.dropFirst()
            if word == "--" { break }
            if word == "--help" || word == "-h" { throw CleanExit.helpRequest(command) }
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                guard longNames.contains(name) else { throw ValidationError("unknown option '\(word)'") }
                if let eq = body.firstIndex(of: "=") {
                    options[name, default: []].append(String(body[body.index(after: eq)...]))
                } else if let value = words.first {
                    options[name, default: []].append(value)
                    words = words.dropFirst()
                } else {
                    throw ValidationError("missing value for '--\(name)'")
                }
                continue
            }
            let letter = word.dropFirst().first!
            guard let name = joinedLetters[letter] else { throw ValidationError("unknown option '\(word)'") }
            if word.count > 2 {
                options[name, default: []].append(String(word.dropFirst(2)))
            } else if let value = words.first {
                options[name, default: []].append(value)
                words = words.dropFirst()
            } else {
                throw ValidationError("missing value for '\(word)'")
            }
        }
        program = Array(words)
    }
}
