// Facts about this process that every program of fluxs needs when it starts others:
// its environment as a dictionary, the directory it was installed in, and a PATH that
// puts that directory first (so that the `fluxs` a job or initial program runs is the
// one installed beside the broker that started it).
#if canImport(Glibc)
import Glibc
#endif

/// This process's environment and installation directory.
public enum ProcessEnvironment {
    /// The environment, as a dictionary.
    public static var current: [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    /// The directory holding this program (from /proc/self/exe), or nil.
    public static var executableDirectory: String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return exe.lastIndex(of: "/").map { String(exe[..<$0]) }
    }

    /// A program installed beside this one, or just `name` (to be found on PATH).
    public static func besideMe(_ name: String) -> String {
        guard let dir = executableDirectory, access("\(dir)/\(name)", X_OK) == 0 else { return name }
        return "\(dir)/\(name)"
    }

    /// `path` (default this process's PATH) with this program's directory first.
    public static func pathWithOwnDirectoryFirst(_ path: String? = nil) -> String {
        let path = path ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        guard let dir = executableDirectory else { return path }
        if path.split(separator: ":").first.map(String.init) == dir { return path }
        return dir + ":" + path
    }
}
