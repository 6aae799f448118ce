// What the CLI needs from its surroundings: the locale (for the f58 prefix) and
// whole-input reads of files and stdin.
import FluxsFormats
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

    /// Reads all of standard input.
    static func readStandardInput() throws(CommandFailure) -> String {
        try readAll(fd: 0, name: "stdin")
    }

    /// Reads a whole file, or stdin for "-".
    static func readFile(_ path: String) throws(CommandFailure) -> String {
        if path == "-" { return try readStandardInput() }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CommandFailure("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try readAll(fd: fd, name: path)
    }

    private static func readAll(fd: Int32, name: String) throws(CommandFailure) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("\(name): \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
