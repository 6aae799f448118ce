// `--add-file=[NAME[:PERMS]=]ARG`: a file carried in the jobspec (RFC 14
// attributes.system.files, entries as RFC 37 file objects), which fluxs-shell writes
// into the job's directory, {{tmpdir}}/NAME (FLUXS_JOB_TMPDIR), before the tasks start.
// The rules are flux-core's (flux.job._utils.jobspec_add_file and flux.util.Fileref):
//   - a literal "\n" in the argument is a newline;
//   - without "=", ARG is a local file, NAME its base name;
//   - with "=", NAME may end in :PERMS (octal; otherwise the colon is part of the
//     name); ARG holding a newline is the content itself (mode PERMS, default 0600),
//     else a local file, read now, with its own mode;
//   - content that is UTF-8 is stored as is ("encoding": "utf-8"), else in base64.
import FluxsFormats
import FoundationEssentials
import Glibc

/// One --add-file argument.
enum AddFile {
    /// The file's name and its RFC 37 file object.
    static func entry(_ argument: String) throws(ParseError) -> (name: String, file: JSONValue) {
        let text = argument.replacing("\\n", with: "\n")
        var name: String
        var data: String
        var perms: Int?
        if let eq = text.firstIndex(of: "="), text.index(after: eq) < text.endIndex {
            name = String(text[..<eq])
            data = String(text[text.index(after: eq)...])
            if let colon = name.firstIndex(of: ":"), let value = Int(name[name.index(after: colon)...], radix: 8) {
                perms = value
                name = String(name[..<colon])
            }
        } else {
            let path = text.firstIndex(of: "=").map { String(text[..<$0]) } ?? text
            if path.contains("\n") { throw ParseError("--add-file: file name missing") }
            data = path
            name = String(path.split(separator: "/").last ?? Substring(path))
        }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw ParseError("--add-file=\(argument): \"\(name)\" is not a file name")
        }
        if data.contains("\n") {
            let mode = (perms ?? 0o600) | Int(S_IFREG)
            return (name, ["mode": .int(Int64(mode)), "data": .string(data), "encoding": "utf-8"])
        }
        var st = stat()
        guard stat(data, &st) == 0 else {
            throw ParseError("--add-file=\(argument): \(data): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ParseError("--add-file=\(argument): \(data): not a regular file") }
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: data))) } catch {
            throw ParseError("--add-file=\(argument): \(data): cannot be read")
        }
        var file: [String: JSONValue] = ["mode": .int(Int64(st.st_mode)), "size": .int(Int64(bytes.count))]
        if let utf8 = String(validating: bytes, as: UTF8.self) {
            file["data"] = .string(utf8)
            file["encoding"] = "utf-8"
        } else {
            file["data"] = .string(Data(bytes).base64EncodedString())
            file["encoding"] = "base64"
        }
        return (name, .object(file))
    }
}
