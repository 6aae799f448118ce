// The job's temporary directory on this node, FLUXS_JOB_TMPDIR: made by the shell
// before any task starts (under the node's $TMPDIR, else /tmp; mode 0700, and an
// existing one is used only if it is a real directory of this user with that mode, so
// nobody else can put or redirect files in it), holding the files of the jobspec's
// attributes.system.files ({"NAME": {"data": TEXT, "mode": N, "encoding": "utf-8" or
// "base64"}} (RFC 37 file objects), as fluxs batch stores its script and --add-file its
// files), named `{{tmpdir}}` in the command; removed with all it holds when the shell
// ends (and by job-exec after a shell that could not).
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// A job's per-node temporary directory.
struct JobDirectory {
    let path: String

    /// Makes the directory and writes the jobspec's files into it.
    init(path: String, jobspec: Jobspec) throws(ParseError) {
        self.path = path
        if mkdir(path, 0o700) != 0 {
            guard errno == EEXIST else {
                throw ParseError("cannot make the job directory \(path): \(String(cString: strerror(errno)))")
            }
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid(), st.st_mode & 0o077 == 0 else {
                throw ParseError("the job directory \(path) exists and is not a private directory of this user")
            }
        }
        let files = jobspec.json["attributes"]?["system"]?["files"]?.objectValue ?? [:]
        for (name, file) in files.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw ParseError("attributes.system.files: \"\(name)\" is not a file name")
            }
            let mode = mode_t(file["mode"]?.intValue ?? 0o600) & 0o7777
            let text = file["data"]?.stringValue ?? ""
            var bytes = Array(text.utf8)
            if file["encoding"]?.stringValue == "base64" {
                guard let decoded = Self.base64(text) else {
                    throw ParseError("attributes.system.files: \"\(name)\" is not valid base64")
                }
                bytes = decoded
            }
            let fd = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
            guard fd >= 0, Self.writeAll(fd, bytes) else {
                if fd >= 0 { close(fd) }
                throw ParseError("cannot write \(path)/\(name): \(String(cString: strerror(errno)))")
            }
            fchmod(fd, mode)
            close(fd)
        }
    }

    /// The bytes of RFC 4648 base64 `text` (padding optional), nil when it is not base64.
    static func base64(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for char in text.utf8 where char != UInt8(ascii: "=") {
            let value: UInt8
            switch char {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = char - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = char - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = char - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            default: return nil
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    /// `argument` with `{{tmpdir}}` filled in.
    func render(_ argument: String) -> String {
        argument.contains("{{tmpdir}}") ? argument.replacing("{{tmpdir}}", with: path) : argument
    }

    /// Removes the directory and everything in it.
    func remove() { Descriptors.removeTree(path) }
}
