// A system instance's conf.d directory (fluxs-broker --config-path=DIR; man5
// fluxs-config): every *.toml file in name order, read and converted to JSON with
// TOMLKit, then merged and checked by FluxsFormats.InstanceConfig. A file that is not
// TOML stops the broker naming the file, the line and the reason.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProcess
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

/// Loading a configuration directory.
enum ConfigFiles {
    /// The checked configuration of `directory`.
    static func load(_ directory: String) throws -> InstanceConfig {
        guard let dir = opendir(directory) else {
            throw ServiceError(errno, "--config-path \(directory): \(ServiceError.text(of: errno))")
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".toml") && !name.hasPrefix(".") { names.append(name) }
        }
        closedir(dir)
        var files: [(name: String, table: JSONValue)] = []
        for name in names.sorted() {
            let path = "\(directory)/\(name)"
            let text = try Descriptors.readFile(path)
            let json: String
            do {
                json = try TOMLTable(string: text).convert(to: .json)
            } catch let error as TOMLParseError {
                throw ServiceError(EINVAL, "\(path): line \(error.source.begin.line): \(error.description)")
            }
            do {
                files.append((path, try JSONValue(parsing: Array(json.utf8))))
            } catch {
                throw ServiceError(EINVAL, "\(path): cannot be read as a table: \(error)")
            }
        }
        do { return try InstanceConfig(files: files) } catch { throw ServiceError(EINVAL, error.message) }
    }
}

/// Rank, size and peers from [bootstrap] hosts: each broker finds itself by host name,
/// binds its host's bind URI, and reaches its parent at the parent's connect URI.
final class ConfigBootstrap: Bootstrap {
    let rank: UInt32
    let size: UInt32
    private let hosts: [InstanceConfig.Host]

    init(config: InstanceConfig, hostname: String) throws(ServiceError) {
        guard let index = config.rank(ofHost: hostname) else {
            throw ServiceError(ENOENT, "this host (\(hostname)) is not in [bootstrap] hosts")
        }
        rank = UInt32(index)
        size = UInt32(config.hosts.count)
        hosts = config.hosts
    }

    /// The URI this broker binds.
    var bindURI: String { hosts[Int(rank)].bind }

    func exchange(card: String, wanting ranks: [UInt32]) throws(ServiceError) -> [UInt32: String] {
        var cards: [UInt32: String] = [:]
        for r in ranks where Int(r) < hosts.count { cards[r] = hosts[Int(r)].connect }
        return cards
    }
}
