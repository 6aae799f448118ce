// The job's temporary directory on this node, FLUXS_JOB_TMPDIR: made by the shell
// before any task starts (under $TMPDIR, else /tmp), holding the files of the jobspec's
// attributes.system.files ({"NAME": {"data": TEXT, "mode": N}}, as fluxs batch stores its
// script), named `{{tmpdir}}` in the command; removed with all it holds when the shell ends.
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// A job's per-node temporary directory.
struct JobDirectory {
    let path: String

    /// Makes the directory and writes the jobspec's files into it.
    init(id: JobID, rank: UInt32, jobspec: Jobspec, environment: [String: String]) throws(ParseError) {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        path = "\(base)/fluxs-job-\(id.formatted(.f58plain))-\(rank)"
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw ParseError("cannot make the job directory \(path): \(String(cString: strerror(errno)))")
        }
        let files = jobspec.json["attributes"]?["system"]?["files"]?.objectValue ?? [:]
        for (name, file) in files.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw ParseError("attributes.system.files: \"\(name)\" is not a file name")
            }
            let mode = mode_t(file["mode"]?.intValue ?? 0o600)
            let fd = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
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
    func remove() { Self.removeTree(path) }

    private static func removeTree(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let child = "\(path)/\(name)"
                var st = stat()
                if lstat(child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}
