// One answer of `resource.status` (man7/fluxs-resource.7), and the two views of it the CLI
// prints: the scheduler's (free, allocated, down: `fluxs resource list`) and the
// administrator's (avail, drained, online or offline: `status` and `drain`). The service sends
// facts (R, up ranks, drain records, allocated ranks, hostnames); every set shown is computed
// here with ResourceSet and IDSet operations, so one request serves any view.
// Invariant: `drained` and `allocated` are kept within the ranks of `R`.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol

/// The state of an instance's resources at one moment.
struct ResourceSnapshot {
    /// Why and since when a rank is drained.
    struct Drain: Hashable {
        /// The reason given (may be "").
        var reason: String
        /// Seconds since the epoch when the rank was drained.
        var timestamp: Double
    }

    /// The instance's resources (after exclusion).
    var R: ResourceSet
    /// The ranks whose broker is up.
    var up: IDSet
    /// The drained ranks with their records.
    var drained: [UInt32: Drain]
    /// The ranks with some resource allocated to a job.
    var allocated: IDSet
    /// Exactly what is allocated (cores and gpus), when the scheduler said.
    var allocatedR: ResourceSet?
    /// Hostnames by rank, from the service, for ranks R names no host for.
    var hostnames: [String]

    /// Asks the instance's resource service.
    static func fetch(_ handle: FluxsHandle) throws -> ResourceSnapshot {
        try ResourceSnapshot(json: handle.rpc(.resource.status))
    }

    /// Reads a `resource.status` answer.
    init(json: JSONValue) throws(CommandFailure) {
        guard let rJSON = json["R"] else { throw CommandFailure("resource.status: the answer holds no R") }
        do {
            R = try ResourceSet(json: rJSON)
            up = try IDSet(parsing: json["up"]?.stringValue ?? "")
            allocated = try IDSet(parsing: json["allocated"]?.stringValue ?? "").intersection(R.ranks)
            allocatedR = try json["allocated_R"].map { (value) throws(ParseError) in try ResourceSet(json: value) }
            drained = [:]
            for (key, record) in json["drained"]?.objectValue ?? [:] {
                guard let rank = UInt32(key), R.ranks.contains(rank) else { continue }
                drained[rank] = Drain(reason: record["reason"]?.stringValue ?? "",
                                      timestamp: record["timestamp"]?.doubleValue ?? 0)
            }
        } catch {
            throw CommandFailure("resource.status: \(error.message)")
        }
        hostnames = (json["nodelist"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
    }

    /// The drained ranks.
    var drainedRanks: IDSet { IDSet(drained.keys) }

    /// The hostname of `rank`: R's, else the service's, else "rankN".
    func hostname(ofRank rank: UInt32) -> String {
        if let host = R.hostname(ofRank: rank) { return host }
        if Int(rank) < hostnames.count, !hostnames[Int(rank)].isEmpty { return hostnames[Int(rank)] }
        return "rank\(rank)"
    }

    /// The hosts of `ranks`, in rank order.
    func nodelist(_ ranks: IDSet) -> Hostlist {
        Hostlist(ranks.map(hostname(ofRank:)))
    }

    /// The ranks `targets` names, an idset of ranks or a hostlist, among R's ranks. Names
    /// that match nothing are ignored (as Flux does for filters).
    func ranks(matching targets: String) throws(CommandFailure) -> IDSet {
        if let ids = try? IDSet(parsing: targets) { return ids.intersection(R.ranks) }
        let hosts: Hostlist
        do { hosts = try Hostlist(parsing: targets) } catch {
            throw CommandFailure("\"\(targets)\" is neither an idset of ranks nor a hostlist")
        }
        let wanted = Set(hosts)
        return IDSet(R.ranks.filter { wanted.contains(hostname(ofRank: $0)) })
    }
}

// MARK: - The scheduler's view (list, info, R)

extension ResourceSnapshot {
    /// The states of `fluxs resource list`.
    enum ListState: String, CaseIterable {
        case free, allocated, down, up, all
    }

    /// The ranks up and not drained: those a scheduler may use.
    var usableRanks: IDSet { up.subtracting(drainedRanks) }

    /// The resources in `state`. "down" holds ranks not up or drained; "allocated" the
    /// usable ranks with an allocation; "free" the rest of the usable ranks.
    func resources(_ state: ListState) -> ResourceSet {
        let usable = R.restricted(to: usableRanks)
        let busy = allocatedR.map { usable.intersection($0) } ?? usable.restricted(to: allocated)
        switch state {
        case .free: return usable.subtracting(busy)
        case .allocated: return busy
        case .down: return R.subtracting(usable)
        case .up: return usable
        case .all: return R
        }
    }

    /// The union of the resources in `states`.
    func resources(_ states: [ListState]) -> ResourceSet {
        states.reduce(ResourceSet()) { sum, state in (try? sum.union(resources(state))) ?? sum }
    }
}

// MARK: - The administrator's view (status, drain)

extension ResourceSnapshot {
    /// The states of `fluxs resource status`: a rank is avail or drained, and online or offline.
    enum StatusState: String, CaseIterable {
        case avail, drained, draining, drain, online, offline, exclude, all
    }

    /// One line of `status` or `drain` before lines that print alike are merged.
    struct StatusLine {
        /// "avail", "drained" or "draining".
        var state: String
        /// True when the ranks' brokers are up.
        var online: Bool
        /// The ranks of the line.
        var ranks: IDSet
        /// The drain record, for drained lines.
        var drain: Drain?
    }

    /// The lines for `states` (Flux's rules): avail ranks split into online and offline,
    /// drained ranks one line each (drained but allocated: "draining"). When only online or
    /// offline is asked, the other is left out; alone, they apply to every state.
    func statusLines(_ states: Set<StatusState>) -> [StatusLine] {
        let all = states.contains(.all)
        let wantsOnline = states.contains(.online) || !states.contains(.offline)
        let wantsOffline = states.contains(.offline) || !states.contains(.online)
        let onlyStatus = states.isSubset(of: [.online, .offline])
        let include = { (state: StatusState) in all || onlyStatus || states.contains(state) }
        var lines: [StatusLine] = []
        if include(.avail) {
            let avail = R.ranks.subtracting(drainedRanks)
            if wantsOnline { lines.append(StatusLine(state: "avail", online: true, ranks: avail.intersection(up))) }
            if wantsOffline { lines.append(StatusLine(state: "avail", online: false, ranks: avail.subtracting(up))) }
        }
        for (state, ranks) in [("draining", drainedRanks.intersection(allocated)),
                               ("drained", drainedRanks.subtracting(allocated))] {
            guard include(StatusState(rawValue: state)!) || include(.drain) else { continue }
            if ranks.isEmpty, wantsOnline { lines.append(StatusLine(state: state, online: true, ranks: IDSet())) }
            for rank in ranks where up.contains(rank) ? wantsOnline : wantsOffline {
                lines.append(StatusLine(state: state, online: up.contains(rank), ranks: [rank], drain: drained[rank]))
            }
        }
        return lines
    }
}
