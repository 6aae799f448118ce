// `fluxs hostlist`: RFC 29 hostlists on the command line, after flux-hostlist(1):
// sources are combined (concatenated by default, or by a set operation), then
// excluded, sorted, indexed and limited, then printed compressed, expanded or counted.
// Sources, as Flux reads them: `instance` (the hosts of the instance's R, in rank
// order), `local` (the job of FLUXS_JOB_ID, else `instance`), `avail`/`available`
// (`local` less the hosts of ranks down or drained), `stdin`/`-`, and any other word
// tried first as a job id (the job's nodelist: "job ID not found" unless --fallback
// takes it as a host name), then as a literal hostlist. The instance is asked only when
// a source needs it.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Combines, transforms and prints hostlists.
struct HostlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostlist",
        abstract: "Expand, compress, count, index and combine RFC 29 hostlists.",
        discussion: """
            SOURCES: instance (the instance's hosts), JOBID (a job's hosts), local (the job of \
            FLUXS_JOB_ID, else instance), avail or available (local less hosts down or drained), \
            stdin or - (the default, or local with -l), or a literal hostlist ("node[0-3,7],login1").
            """)

    @Flag(name: .shortAndLong, help: "Print the hosts one by one, separated by the delimiter.")
    var expand = false
    @Option(name: [.customShort("d", allowingJoined: true), .long], help: "The delimiter for --expand (default: a space).")
    var delimiter = " "
    @Flag(name: .shortAndLong, help: "Print the number of hosts.")
    var count = false
    @Option(name: [.customShort("n", allowingJoined: true), .long], parsing: .unconditional,
            help: "Only the hosts at indices IDS (an idset; -IDS counts from the end).")
    var nth: String?
    @Option(name: [.customShort("F", allowingJoined: true), .long], help: "Print the indices of HOSTS in the result.")
    var find: String?
    @Option(name: [.customShort("L", allowingJoined: true), .long], parsing: .unconditional,
            help: "At most N hosts (-N: the last N).")
    var limit: Int?
    @Flag(name: [.customShort("S"), .long], help: "Sort the result.")
    var sort = false
    @Flag(name: [.short, .long, .customLong("unique")], help: "Unique hosts only, sorted (the union of the sources).")
    var union = false
    @Option(name: [.customShort("x", allowingJoined: true), .long], help: "Leave out HOSTS, or the indices in an idset IDS.")
    var exclude: String?
    @Flag(name: .shortAndLong, help: "The intersection of the sources.")
    var intersect = false
    @Flag(name: .shortAndLong, help: "The first source minus all the others.")
    var minus = false
    @Flag(name: [.customShort("X"), .long], help: "The symmetric difference of the sources.")
    var xor = false
    @Flag(name: .shortAndLong, help: "Print nothing; exit 1 when the result is empty.")
    var quiet = false
    @Flag(name: .shortAndLong, help: "Take job ids that are not found as host names (f1, fuzz100).")
    var fallback = false
    @Flag(name: .shortAndLong, help: "Make local the default source instead of stdin.")
    var local = false
    @Argument(help: "Sources: instance, local, avail, JOBID, stdin or -, or hostlists.")
    var sources: [String] = []

    func validate() throws {
        if [union, intersect, minus, xor].filter({ $0 }).count > 1 {
            throw ValidationError("choose at most one of --union, --intersect, --minus, --xor")
        }
    }

    func run() throws {
        var result = try combine(try readSources())
        if let exclude { result = try excluding(exclude, from: result) }
        if sort || union { result = union ? result.union(Hostlist()) : result.sorted() }
        if let nth { result = try selecting(nth, from: result) }
        if let limit {
            let hosts = result.hosts
            result = Hostlist(limit >= 0 ? Array(hosts.prefix(limit)) : Array(hosts.suffix(-limit)))
        }
        if quiet {
            if result.count == 0 { throw ExitCode(1) }
            return
        }
        if let find {
            let wanted = try parseHostlist(find)
            let indices = try wanted.hosts.map { host throws(CommandFailure) in
                guard let i = result.firstIndex(of: host) else { throw CommandFailure("host \(host) not found") }
                return String(i)
            }
            print(indices.joined(separator: " "))
        } else if count {
            print(result.count)
        } else if expand {
            print(result.hosts.joined(separator: delimiter))
        } else {
            print(result.description)
        }
    }

    private func readSources() throws -> [Hostlist] {
        let names = sources.isEmpty ? [local ? "local" : "-"] : sources
        var instance = InstanceSource()
        return try names.map { name throws in
            switch name {
            case "-", "stdin":
                let words = try Terminal.readStandardInput()
                    .split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
                var list = Hostlist()
                for word in words { list.append(try parseHostlist(String(word))) }
                return list
            case "instance":
                return try instance.hosts()
            case "local":
                return try instance.local()
            case "avail", "available":
                return try instance.available()
            default:
                if let id = try? JobID(parsing: name) {
                    do { return try instance.job(id, as: name) } catch let failure as CommandFailure {
                        if fallback, failure.message == "job \(name) not found", let hosts = try? Hostlist(parsing: name) {
                            return hosts
                        }
                        throw failure
                    }
                }
                do { return try Hostlist(parsing: name) } catch { throw CommandFailure("Invalid jobid or hostlist \(name)") }
            }
        }
    }

    private func combine(_ lists: [Hostlist]) throws -> Hostlist {
        guard var result = lists.first else { return Hostlist() }
        for list in lists.dropFirst() {
            if intersect {
                result = result.intersection(list)
            } else if minus {
                result = result.subtracting(list)
            } else if xor {
                result = result.union(list).subtracting(result.intersection(list))
            } else if union {
                result = result.union(list)
            } else {
                result.append(list)
            }
        }
        return result
    }

    private func excluding(_ spec: String, from list: Hostlist) throws -> Hostlist {
        if let ids = try? IDSet(parsing: spec) {
            return Hostlist(list.hosts.enumerated().filter { !ids.contains(UInt32($0.offset)) }.map(\.element))
        }
        let drop = Set(try parseHostlist(spec).hosts)
        return Hostlist(list.hosts.filter { !drop.contains($0) })
    }

    private func selecting(_ spec: String, from list: Hostlist) throws -> Hostlist {
        let fromEnd = spec.hasPrefix("-")
        let ids: IDSet
        do { ids = try IDSet(parsing: fromEnd ? String(spec.dropFirst()) : spec) } catch {
            throw CommandFailure("--nth: \(error.message)")
        }
        var hosts: [String] = []
        for id in ids {
            let index = fromEnd ? list.count - Int(id) : Int(id)
            guard index >= 0, index < list.count, !(fromEnd && id == 0) else {
                throw CommandFailure("--nth: index \(fromEnd ? "-" : "")\(id) is out of range for \(list.count) hosts")
            }
            hosts.append(list[index])
        }
        return Hostlist(hosts)
    }

    private func parseHostlist(_ text: String) throws(CommandFailure) -> Hostlist {
        do { return try Hostlist(parsing: text) } catch { throw CommandFailure(error.message) }
    }
}

/// The hostlist sources that ask the instance; connects at the first one.
private struct InstanceSource {
    private var handle: FluxsHandle?
    private var snapshot: ResourceSnapshot?

    private mutating func connected() throws(CommandFailure) -> FluxsHandle {
        if let handle { return handle }
        let made = try Instance.connect()
        handle = made
        return made
    }

    private mutating func resources() throws -> ResourceSnapshot {
        if let snapshot { return snapshot }
        let handle = try connected()
        let fetched: ResourceSnapshot
        do { fetched = try ResourceSnapshot.fetch(handle) } catch let error as ServiceError { throw CommandFailure(error.message) }
        snapshot = fetched
        return fetched
    }

    /// `instance`: the hosts of every rank of the instance's R, in rank order.
    mutating func hosts() throws -> Hostlist {
        let snapshot = try resources()
        return snapshot.nodelist(snapshot.R.ranks)
    }

    /// A job's nodelist (empty before it has resources); "job NAME not found" when the
    /// job manager does not know it.
    mutating func job(_ id: JobID, as name: String) throws -> Hostlist {
        let handle = try connected()
        let record: JSONValue
        do { record = try Jobs.info(handle, id) } catch {
            if error.errnum == ENOENT { throw CommandFailure("job \(name) not found") }
            throw CommandFailure("job \(name): \(error.message)")
        }
        do { return try Hostlist(parsing: record["nodelist"]?.stringValue ?? "") } catch {
            throw CommandFailure("job \(name): \(error.message)")
        }
    }

    /// `local`: the job of FLUXS_JOB_ID when set (a job's environment; the initial program
    /// of an instance has it unset), else `instance`.
    mutating func local() throws -> Hostlist {
        if let text = ProcessEnvironment.current["FLUXS_JOB_ID"] {
            let id = try Jobs.parse(text)
            return try job(id, as: text)
        }
        return try hosts()
    }

    /// `avail`: the `local` hosts less those of ranks down or drained.
    mutating func available() throws -> Hostlist {
        let base = try local()
        let snapshot = try resources()
        let gone = Set(snapshot.nodelist(snapshot.R.ranks.subtracting(snapshot.usableRanks)))
        let kept = Set(snapshot.nodelist(snapshot.usableRanks))
        return Hostlist(base.hosts.filter { !gone.contains($0) || kept.contains($0) })
    }
}
