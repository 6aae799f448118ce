// Commands that run a program (`fluxs start CMD`, `fluxs submit CMD`) take their
// options first and everything from the first word that is not an option on, as the
// program's own argument list (dashes included), as Flux does.
//
// swift-argument-parser hands such commands their words through a passthrough
// capture, which also catches short options written with a joined value that holds
// "=" (`-Sname=value`): those are picked out here.
import ArgumentParser

/// Splits the passthrough capture of a command line into joined options and the program.
struct CommandArguments {
    /// Values of the joined short options found before the program, by letter.
    var joined: [Character: [String]] = [:]
    /// The program's argv.
    var program: [String] = []

    /// Splits `captured`: leading `-Xvalue` words for letters in `letters`, and
    /// `--name=value` for long names of those letters, are options; a leading "--" is
    /// dropped; any other option before the program is a usage error.
    init(_ captured: [String], joinedLetters letters: [Character: String], command: any ParsableCommand.Type) throws {
        var words = captured[...]
        while let word = words.first, word.hasPrefix("-"), word.count > 1 {
            words = words.dropFirst()
            if word == "--" { break }
            if word == "--help" || word == "-h" { throw CleanExit.helpRequest(command) }
            if word.hasPrefix("--"), let eq = word.firstIndex(of: "="),
                let letter = letters.first(where: { "--\($0.value)" == word[..<eq] })?.key
            {
                joined[letter, default: []].append(String(word[word.index(after: eq)...]))
                continue
            }
            let letter = word.dropFirst().first!
            guard word.count > 2, letters[letter] != nil, !word.hasPrefix("--") else { throw ValidationError("unknown option '\(word)'") }
            joined[letter, default: []].append(String(word.dropFirst(2)))
        }
        program = Array(words)
    }
}
