// A system instance's configuration: the tables of the TOML files of a conf.d directory
// (read and converted to JSON by the broker), merged and checked here (man5
// fluxs-config). Pure: every problem is `FILE: TABLE.KEY: reason`.
//
//   [bootstrap]  curve_cert (path), default_port (8050), default_bind ("tcp://*:%p"),
//                default_connect ("tcp://%h:%p"), hosts = [{host = HOSTLIST, bind?, connect?}]
//                (%h: the host name, %p: the port); a broker's rank is its host's index.
//   [resource]   path, exclude, noverify       -> resource.path/exclude/noverify
//   [access]     allow-guest-user, allow-root-owner
//   [tbon]       topo, timeout, keepalive-period, shutdown-timeout -> tbon.*
//   [exec]       kill-timeout                  -> job-exec.kill-timeout
//   [sched]      queue-policy, match-policy, queue-depth, default-duration -> sched.*
//   [job-manager] inactive-age-limit, inactive-num-limit -> job-manager.*
//   [modules]    NAME = "all" | "none" | IDSET  -> broker.modules.NAME: which ranks load a
//                service (default: the service's own rule, e.g. sched on rank 0 only)
//
// A table may be split over several files; a key given twice is an error.

/// A problem in the configuration.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, the dotted key and the reason, as one line.
    public var message: String
    public init(_ file: String, _ key: String, _ reason: String) { message = "\(file): \(key): \(reason)" }
    public var description: String { message }
}

/// The merged, checked configuration of an instance.
public struct InstanceConfig: Sendable, Hashable {
    /// One broker of the instance, in rank order.
    public struct Host: Sendable, Hashable {
        public var name: String
        /// The URI this broker binds for its children.
        public var bind: String
        /// The URI its children connect to.
        public var connect: String
    }

    /// The effective configuration, every table merged.
    public private(set) var json: JSONValue = [:]
    /// The brokers, from [bootstrap] hosts (empty: no bootstrap by config).
    public private(set) var hosts: [Host] = []
    /// The CURVE certificate file, when the overlay is to be encrypted.
    public private(set) var curveCert: String?
    /// Broker attributes the configuration sets.
    public private(set) var attributes: [String: String] = [:]
    /// [access]
    public private(set) var allowGuestUser = false
    public private(set) var allowRootOwner = false

    /// Merges and checks `files` (name and top-level table of each, in order).
    public init(files: [(name: String, table: JSONValue)]) throws(ConfigError) {
        var merged: [String: [String: JSONValue]] = [:]
        var origin: [String: String] = [:]
        for (name, table) in files {
            guard let top = table.objectValue else { throw ConfigError(name, "(top)", "is not a table") }
            for (section, value) in top.sorted(by: { $0.key < $1.key }) {
                guard Self.schema[section] != nil else {
                    throw ConfigError(name, section, "unknown table (known: \(Self.schema.keys.sorted().joined(separator: ", ")))")
                }
                guard let entries = value.objectValue else { throw ConfigError(name, section, "must be a table") }
                for (key, item) in entries.sorted(by: { $0.key < $1.key }) {
                    let path = "\(section).\(key)"
                    if let first = origin[path] { throw ConfigError(name, path, "already set in \(first)") }
                    origin[path] = name
                    merged[section, default: [:]][key] = item
                }
            }
        }
        json = .object(merged.mapValues { .object($0) })
        for (section, entries) in merged.sorted(by: { $0.key < $1.key }) {
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                let path = "\(section).\(key)"
                let file = origin[path] ?? "?"
                if section == "modules" {
                    do throws(ParseError) { attributes["broker.modules.\(key)"] = try Self.ranks(value) } catch {
                        throw ConfigError(file, path, error.message)
                    }
                    continue
                }
                guard let rule = Self.schema[section]?[key] else {
                    let known = Self.schema[section]?.keys.sorted().joined(separator: ", ") ?? ""
                    throw ConfigError(file, path, "unknown key (known: \(known))")
                }
                do throws(ParseError) { try apply(rule, value) } catch { throw ConfigError(file, path, error.message) }
            }
        }
        if let hostsValue = merged["bootstrap"]?["hosts"] {
            do throws(ParseError) {
                hosts = try Self.hosts(hostsValue, bootstrap: merged["bootstrap"] ?? [:])
            } catch {
                throw ConfigError(origin["bootstrap.hosts"] ?? "?", "bootstrap.hosts", error.message)
            }
        }
    }

    /// The rank of the broker on `hostname`, nil when it is not in [bootstrap] hosts.
    public func rank(ofHost hostname: String) -> Int? {
        hosts.firstIndex { $0.name == hostname } ?? hosts.firstIndex { $0.name.split(separator: ".").first.map(String.init) == hostname.split(separator: ".").first.map(String.init) }
    }

    // MARK: - Keys

    enum Rule {
        case attribute(String, Kind)
        case guestUser, rootOwner, curveCert, hostsList, port, uriTemplate
    }

    enum Kind { case text, bool, onOff, duration, count }

    static let schema: [String: [String: Rule]] = [
        "bootstrap": ["curve_cert": .curveCert, "default_port": .port, "default_bind": .uriTemplate,
                      "default_connect": .uriTemplate, "hosts": .hostsList],
        "resource": ["path": .attribute("resource.path", .text), "exclude": .attribute("resource.exclude", .text),
                     "noverify": .attribute("resource.noverify", .bool)],
        "access": ["allow-guest-user": .guestUser, "allow-root-owner": .rootOwner],
        "tbon": ["topo": .attribute("tbon.topo", .text), "timeout": .attribute("tbon.timeout", .duration),
                 "keepalive-period": .attribute("tbon.keepalive-period", .duration),
                 "shutdown-timeout": .attribute("tbon.shutdown-timeout", .duration),
                 "heal": .attribute("tbon.heal", .onOff)],
        "exec": ["kill-timeout": .attribute("job-exec.kill-timeout", .duration)],
        "sched": ["queue-policy": .attribute("sched.queue-policy", .text), "match-policy": .attribute("sched.match-policy", .text),
                  "queue-depth": .attribute("sched.queue-depth", .count),
                  "default-duration": .attribute("sched.default-duration", .duration)],
        "job-manager": ["inactive-age-limit": .attribute("job-manager.inactive-age-limit", .duration),
                        "inactive-num-limit": .attribute("job-manager.inactive-num-limit", .count)],
        "modules": [:],
    ]

    private mutating func apply(_ rule: Rule, _ value: JSONValue) throws(ParseError) {
        switch rule {
        case .attribute(let name, let kind): attributes[name] = try Self.text(value, kind)
        case .guestUser: allowGuestUser = try Self.bool(value)
        case .rootOwner: allowRootOwner = try Self.bool(value)
        case .curveCert:
            guard let path = value.stringValue, path.hasPrefix("/") else { throw ParseError("must be an absolute path") }
            curveCert = path
        case .port:
            guard let port = value.intValue, (1...65535).contains(port) else { throw ParseError("must be a port number, 1-65535") }
        case .uriTemplate:
            guard let text = value.stringValue, text.contains("://") else { throw ParseError("must be a URI such as tcp://%h:%p") }
        case .hostsList:
            break  // checked with the defaults, in hosts(_:bootstrap:)
        }
    }

    static func text(_ value: JSONValue, _ kind: Kind) throws(ParseError) -> String {
        switch kind {
        case .text:
            guard let text = value.stringValue else { throw ParseError("must be a string") }
            return text
        case .bool:
            return try bool(value) ? "1" : "0"
        case .onOff:
            if value.stringValue == "on" || value.stringValue == "off" { return value.stringValue ?? "" }
            return try bool(value) ? "on" : "off"
        case .count:
            guard let n = value.intValue, n >= 0 else { throw ParseError("must be a non-negative integer") }
            return String(n)
        case .duration:
            if let seconds = value.doubleValue, seconds >= 0 { return FluxDuration.format(seconds) }
            guard let text = value.stringValue else { throw ParseError("must be a duration such as \"30s\"") }
            _ = try FluxDuration.parse(text)
            return text
        }
    }

    /// A [modules] value: "all", "none" or an idset of ranks.
    static func ranks(_ value: JSONValue) throws(ParseError) -> String {
        guard let text = value.stringValue else { throw ParseError("must be \"all\", \"none\" or an idset of ranks") }
        if text == "all" || text == "none" { return text }
        do { _ = try IDSet(parsing: text) } catch { throw ParseError("must be \"all\", \"none\" or an idset of ranks: \(error.message)") }
        return text
    }

    static func bool(_ value: JSONValue) throws(ParseError) -> Bool {
        guard let b = value.boolValue else { throw ParseError("must be true or false") }
        return b
    }

    /// [bootstrap] hosts expanded, with the defaults and placeholders filled in.
    static func hosts(_ value: JSONValue, bootstrap: [String: JSONValue]) throws(ParseError) -> [Host] {
        guard let entries = value.arrayValue, !entries.isEmpty else { throw ParseError("must be a non-empty array of tables") }
        let port = String(bootstrap["default_port"]?.intValue ?? 8050)
        let bind = bootstrap["default_bind"]?.stringValue ?? "tcp://*:%p"
        let connect = bootstrap["default_connect"]?.stringValue ?? "tcp://%h:%p"
        var hosts: [Host] = []
        for (index, entry) in entries.enumerated() {
            guard let text = entry["host"]?.stringValue else { throw ParseError("entry \(index + 1) has no host") }
            for key in entry.objectValue?.keys.sorted() ?? [] where !["host", "bind", "connect"].contains(key) {
                throw ParseError("entry \(index + 1): unknown key \(key) (known: host, bind, connect)")
            }
            let list: Hostlist
            do { list = try Hostlist(parsing: text) } catch { throw ParseError("entry \(index + 1): \(error.message)") }
            for name in list {
                guard !hosts.contains(where: { $0.name == name }) else { throw ParseError("host \(name) is listed twice") }
                let fill = { (template: String) in template.replacing("%h", with: name).replacing("%p", with: port) }
                hosts.append(Host(name: name, bind: fill(entry["bind"]?.stringValue ?? bind),
                                  connect: fill(entry["connect"]?.stringValue ?? connect)))
            }
        }
        return hosts
    }
}
