// The `fluxs` command: a thin front end. Each subcommand parses its options, calls into
// the formats (and, from M2 on, the client library) and prints.
//
// Error convention (man/man1/fluxs.1): an operation that fails prints one line
// `fluxs-CMD: error: what is wrong` on stderr and exits 1; bad usage prints the usage
// and the same kind of line, and exits 2.
import ArgumentParser
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// The root command.
struct Fluxs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluxs",
        abstract: "A hierarchical resource manager for HPC, in the family of Flux.",
        discussion: "Each command has a man page: man fluxs-COMMAND.",
        version: FluxsVersionText.short,
        subcommands: [
            VersionCommand.self,
            StartCommand.self,
            ShutdownCommand.self,
            UptimeCommand.self,
            PingCommand.self,
            GetattrCommand.self,
            SetattrCommand.self,
            LsattrCommand.self,
            DmesgCommand.self,
            LoggerCommand.self,
            EventCommand.self,
            ModuleCommand.self,
            ExecCommand.self,
            OverlayCommand.self,
            ResourceCommand.self,
            QueueCommand.self,
            SubmitCommand.self,
            RunCommand.self,
            BulksubmitCommand.self,
            AllocCommand.self,
            BatchCommand.self,
            URICommand.self,
            ProxyCommand.self,
            PstreeCommand.self,
            JobsCommand.self,
            CancelCommand.self,
            UpdateCommand.self,
            WatchCommand.self,
            PgrepCommand.self,
            PkillCommand.self,
            EnvCommand.self,
            PythonCommand.self,
            MultiProgCommand.self,
            JobCommand.self,
            JobspecCommand.self,
            HostlistCommand.self,
            KVSCommand.self,
            DumpCommand.self,
            RestoreCommand.self,
            ArchiveCommand.self,
            ConfigCommand.self,
            KeygenCommand.self,
        ]
    )
}

/// The failure of an operation: printed as `fluxs-CMD: error: MESSAGE`, exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
    var description: String { message }
}

@main
enum Main {
    static func main() async {
        let args = OptionalValues.fill(Array(CommandLine.arguments.dropFirst()))
        let tool = toolName(args)
        do {
            var command = try Fluxs.parseAsRoot(args)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            printError(tool, failure.message)
            exit(failure.exitCode)
        } catch let failure as ServiceError {
            printError(tool, failure.message)
            exit(1)
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch {
            let code = Fluxs.exitCode(for: error)
            if code == .success {
                // --help, --version and completion scripts are printed on stdout.
                print(Fluxs.fullMessage(for: error))
                exit(0)
            }
            // A usage error: the usage of the command at fault, then one error line.
            let message = Fluxs.message(for: error)
            let usage = Fluxs.fullMessage(for: error)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("Error: ") }
                .joined(separator: "\n")
                .trimmingWhitespace()
            if !usage.isEmpty { writeStderr(usage + "\n") }
            printError(tool, message)
            exit(2)
        }
    }

    /// `fluxs-submit` for `fluxs submit ...`: the first word that is not an option.
    static func toolName(_ args: [String]) -> String {
        if let word = args.first(where: { !$0.hasPrefix("-") }),
            Fluxs.configuration.subcommands.contains(where: { $0.configuration.commandName == word })
        {
            return "fluxs-\(word)"
        }
        return "fluxs"
    }

    /// Prints `TOOL: error: MESSAGE`; job ids a service wrote in the message follow
    /// the locale, as every id the CLI prints does ("f" where "ƒ" cannot show).
    static func printError(_ tool: String, _ message: String) {
        writeStderr("\(tool): error: \(Terminal.localized(message))\n")
    }
}

/// Writes text to standard error, unbuffered.
func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[start...end])
    }
}
