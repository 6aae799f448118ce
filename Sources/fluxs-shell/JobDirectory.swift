// The job's temporary directory on this node, FLUXS_JOB_TMPDIR: made by the shell
// before any task starts (under the node's $TMPDIR, else /tmp; mode 0700, and an
// existing one is used only if it is a real directory of this user with that mode, so
// nobody else can put or redirect files in it), holding the files of the jobspec's
// attributes.system.files ({"NAME": {"data": TEXT, "mode": N}}, as fluxs batch stores its
// script), named `{{tmpdir}}` in the command; removed with all it holds when the shell
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
            let mode = mode_t(file["mode"]?.intValue ?? 0o600)
            let fd = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
            guard fd >= 0, Descriptors.writeAll(fd, file["data"]?.stringValue ?? "") else {
                if fd >= 0 { close(fd) }
                throw ParseError("cannot write \(path)/\(name): \(String(cString: strerror(errno)))")
            }
            fchmod(fd, mode)
            close(fd)
        }
    }

    /// `argument` with `{{tmpdir}}` filled in.
    func render(_ argument: String) -> String {
        argument.contains("{{tmpdir}}") ? argument.replacing("{{tmpdir}}", with: path) : argument
    }

    /// Removes the directory and everything in it.
    func remove() { Descriptors.removeTree(path) }
}
