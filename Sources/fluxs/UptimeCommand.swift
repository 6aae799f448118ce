// `fluxs uptime`: the instance's state, age, owner, depth and size on one line.
import ArgumentParser
import FluxsFormats
#if canImport(Glibc)
import Glibc
import FluxsProtocol
#endif

/// Prints how long the instance has run, and what it is.
struct UptimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uptime", abstract: "Show how long the instance has been up.")

    func run() throws {
        let (info, level) = try Instance.with { handle in
            (try handle.rpc(.broker.info), try handle.rpc(.attr.get, ["name": "instance-level"])["value"]?.stringValue ?? "0")
        }
        let uptime = info["uptime"]?.doubleValue ?? 0
        let owner = info["owner"]?.intValue.map { Self.userName(uid_t($0)) } ?? "?"
        var now = time_t(FluxsClock.wall())
        var tm = tm()
        localtime_r(&now, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let clock = "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))"
        print(" \(clock) \(info["state"]?.stringValue ?? "?") \(FluxDuration.format(uptime, precision: 2)),  owner \(owner),  depth \(level),  size \(info["size"]?.intValue ?? 1)")
    }

    static func userName(_ uid: uid_t) -> String {
        guard let pw = getpwuid(uid) else { return String(uid) }
        return String(cString: pw.pointee.pw_name)
    }
}
