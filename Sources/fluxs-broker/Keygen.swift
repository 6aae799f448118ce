// `fluxs keygen` (through `fluxs-broker --keygen FILE [NAME]`, the program that links
// libzmq): a new CURVE key pair written as a certificate file, mode 0600, never over an
// existing file (man fluxs-keygen(1)).
import CZMQ
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

enum Keygen {
    /// Writes a new certificate to `path`.
    static func write(_ path: String, name: String) throws {
        let certificate = try CurveKeys.newCertificate(name: name)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServiceError(errno, "\(path): \(ServiceError.text(of: errno))") }
        defer { close(fd) }
        guard Descriptors.writeAll(fd, certificate.text) else {
            let saved = errno
            unlink(path)
            throw ServiceError(saved, "\(path): \(ServiceError.text(of: saved))")
        }
    }

    /// This host's name.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
