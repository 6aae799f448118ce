// `fluxs env [CMD ARGS...]`: the environment fluxs sets up for what it runs, printed as
// `export NAME="VALUE"` lines (sorted by name), or applied to CMD, which replaces this
// process (as env(1) runs it). As flux-env(1), with FLUX_* become FLUXS_*:
//
//   PATH        this program's directory first, when fluxs was run by a path (not found
//               on PATH as plain `fluxs`), so that a `fluxs` run from CMD is this one
//   MANPATH     the install's man directory first; "DIR:" (man's own search after it)
//               when MANPATH was unset or empty
//   PYTHONPATH  FLUXS_PYTHONPATH_PREPEND, then the install's Python directory, when it
//               exists, before what PYTHONPATH held
//   FLUXS_URI   passed through when set
//
// The install's directories: from a build tree (the program under .../.build*/...), the
// tree's man/ and bindings/python/; else PREFIX/share/man and PREFIX/lib/fluxs/python
// beside PREFIX/bin. A directory is put once, at the front (an earlier copy is dropped).
import ArgumentParser
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Prints or runs in the fluxs environment.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the environment fluxs sets up, or run a command in it.",
        discussion: """
            Without CMD, prints export NAME="VALUE" lines for the variables fluxs sets: PATH \
            (when fluxs was run by a path), MANPATH, PYTHONPATH and FLUXS_URI. With CMD, \
            runs it in that environment.
            """)

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        _ = try CommandArguments(command, joinedLetters: [:], command: Self.self)
    }

    func run() throws {
        let program = try CommandArguments(command, joinedLetters: [:], command: Self.self).program
        let variables = FluxsEnvironment.variables(
            environment: ProcessEnvironment.current, argv0: CommandLine.arguments.first ?? "fluxs",
            bindir: ProcessEnvironment.executableDirectory)
        guard !program.isEmpty else {
            for name in variables.keys.sorted() { print("export \(name)=\"\(variables[name]!)\"") }
            return
        }
        for (name, value) in variables { setenv(name, value, 1) }
        let cargs = program.map { strdup($0) } + [nil]
        execvp(program[0], cargs)
        throw CommandFailure("\(program[0]): \(String(cString: strerror(errno)))")
    }
}

/// The variables `fluxs env` sets (see the top of this file).
enum FluxsEnvironment {
    /// The variables set, from the current `environment`, how fluxs was invoked
    /// (`argv0`) and the directory holding it (`bindir`).
    static func variables(environment: [String: String], argv0: String, bindir: String?) -> [String: String] {
        var out: [String: String] = [:]
        let dirs = bindir.map(installDirectories)
        if argv0 != "fluxs", let bindir {
            out["PATH"] = push(bindir, onto: environment["PATH"] ?? "/bin:/usr/bin")
        }
        if let man = dirs?.man {
            if let current = environment["MANPATH"], !current.isEmpty {
                out["MANPATH"] = push(man, onto: current)
            } else {
                out["MANPATH"] = man + ":"
            }
        }
        var python = environment["PYTHONPATH"] ?? ""
        if let dir = dirs?.python { python = push(dir, onto: python) }
        if let prepend = environment["FLUXS_PYTHONPATH_PREPEND"], !prepend.isEmpty { python = push(prepend, onto: python) }
        if !python.isEmpty { out["PYTHONPATH"] = python }
        if let uri = environment["FLUXS_URI"] { out["FLUXS_URI"] = uri }
        return out
    }

    /// The man and Python directories of the install (or build tree) holding `bindir`;
    /// Python's only when it exists.
    static func installDirectories(_ bindir: String) -> (man: String, python: String?) {
        let man: String
        let python: String
        // .build/, or a build folder beside it (.build-asan/, .build-tsan/ of make sanitize).
        if let build = bindir.range(of: "/.build/") ?? bindir.range(of: "/.build-") {
            let root = String(bindir[..<build.lowerBound])
            man = root + "/man"
            python = root + "/bindings/python"
        } else {
            let prefix = bindir.lastIndex(of: "/").map { String(bindir[..<$0]) } ?? "."
            man = prefix + "/share/man"
            python = prefix + "/lib/fluxs/python"
        }
        var info = stat()
        return (man, stat(python, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR ? python : nil)
    }

    /// `list` (colon-separated) with `dir` first and no other copy of it; its empty
    /// elements (the current directory in PATH, man's defaults in MANPATH) are kept.
    static func push(_ dir: String, onto list: String) -> String {
        if list.isEmpty { return dir }
        let rest = list.split(separator: ":", omittingEmptySubsequences: false).map(String.init).filter { $0 != dir }
        return ([dir] + rest).joined(separator: ":")
    }
}
