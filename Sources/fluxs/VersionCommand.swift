// `fluxs version`: what this fluxs is.
import ArgumentParser
import FluxsFormats

/// Version strings shared by `fluxs version` and `fluxs --version`.
enum FluxsVersionText {
    static let short = "fluxs \(FluxsVersion.string)"
    static var long: String {
        var lines = ["commands:      \(FluxsVersion.string)"]
        #if swift(>=6.3)
        lines.append("swift:         6.3 or later")
        #else
        lines.append("swift:         6")
        #endif
        lines.append("formats:       jobspec 1, R 1, eventlog (RFC 18), FLUID (RFC 19)")
        return lines.joined(separator: "\n")
    }
}

/// Prints the version of the commands and what they were built with.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the fluxs version.")

    func run() {
        print(FluxsVersionText.long)
    }
}
