// Options whose value may be left out, as Python's `nargs="?"` allows in Flux's
// commands (`flux jobs -w`, `flux job attach --tail`): swift-argument-parser has no
// such option, so before parsing, a bare spelling of one of them gets its default value
// joined on (`-w` -> `--width=0`), unless, for an option whose value may stand apart
// as argparse's `nargs="?"` allows, a number follows. An option of a C command
// (optparse's optional argument, `--tail`) takes its value only after `=`. Only the
// command named in the table is rewritten, and nothing after a `--`.

/// Fills in the default value of options given without one.
enum OptionalValues {
    /// A command path, the spellings of its option, the long form and the default.
    struct Rule {
        var command: [String]
        var spellings: Set<String>
        var long: String
        var value: String
        /// Whether a number in the next word is the value (argparse), or never (optparse).
        var separateValue = true
    }

    static let rules: [Rule] = [
        Rule(command: ["jobs"], spellings: ["-w", "--width"], long: "--width", value: "0"),
        Rule(command: ["job", "attach"], spellings: ["--tail"], long: "--tail", value: "10", separateValue: false),
    ]

    /// `args` (without the program name) with the defaults filled in.
    static func fill(_ args: [String]) -> [String] {
        for rule in rules where args.starts(with: rule.command) {
            var out = Array(rule.command)
            var index = rule.command.count
            while index < args.count {
                let word = args[index]
                if word == "--" {
                    out.append(contentsOf: args[index...])
                    return out
                }
                if rule.spellings.contains(word) {
                    let next = index + 1 < args.count ? args[index + 1] : nil
                    if !rule.separateValue || next.flatMap({ Int($0) }) == nil {
                        out.append("\(rule.long)=\(rule.value)")
                        index += 1
                        continue
                    }
                }
                out.append(word)
                index += 1
            }
            return out
        }
        return args
    }
}
