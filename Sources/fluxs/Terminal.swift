// What the CLI needs from its surroundings: the locale (for the f58 prefix) and
// whole-input reads of files and stdin.
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Facts about the process environment that change how the CLI prints.
enum Terminal {
    /// The current working directory, or "/" when it cannot be read.
    static var currentDirectory: String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// True when the locale can show "ƒ"; FLUXS_F58_FORCE_ASCII forces plain "f".
    static var utf8Locale: Bool {
        if getenv("FLUXS_F58_FORCE_ASCII") != nil { return false }
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let v = getenv(name), v.pointee != 0 {
                let value = String(cString: v).lowercased()
                return value.contains("utf-8") || value.contains("utf8")
            }
        }
        return false
    }

    /// The f58 form this terminal should print.
    static var f58Form: JobIDForm { utf8Locale ? .f58 : .f58plain }

    /// Text from the instance (an error, the jobid attribute) with its f58 ids in this
    /// terminal's form: "ƒ" becomes "f" where the locale cannot show it.
    static func localized(_ text: String) -> String {
        utf8Locale ? text : text.replacing("ƒ", with: "f")
    }

    /// Reads all of standard input.
    static func readStandardInput() throws(CommandFailure) -> String {
        do { return String(decoding: try Descriptors.readAll(0, name: "stdin"), as: UTF8.self) } catch {
            throw CommandFailure(error.message)
        }
    }

    /// Reads a whole file, or stdin for "-".
    static func readFile(_ path: String) throws(CommandFailure) -> String {
        if path == "-" { return try readStandardInput() }
        do { return try Descriptors.readFile(path) } catch { throw CommandFailure(error.message) }
    }
}
