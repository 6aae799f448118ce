// A fresh directory under /tmp for one test, removed with everything in it afterwards.
import Foundation

struct TempDir: ~Copyable {
    let path: String

    init() throws {
        var template = Array("/tmp/fluxs-kvsstore-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: p)
    }

    /// A path inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
