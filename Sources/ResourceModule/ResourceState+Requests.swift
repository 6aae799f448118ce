// The queries ResourceState answers (once `ready`): resource.R and resource.status are
// pure functions of the state; drain and undrain change it and return their actions,
// or throw the error the request is refused with (and change nothing). Targets are an
// idset of ranks or a hostlist of R's hosts. As flux-core's drain.c: without a mode,
// drained targets are an error; "update" sets only missing reasons, "overwrite"
// replaces the reason, "force-overwrite" the reason and the time; "force": true is
// "overwrite". Undrain refuses targets not drained unless a mode is given (-u, -f); its
// reason goes into the log and the event, as Flux's undrain event keeps it.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

extension ResourceState {
    /// The answer to resource.R (an empty R before it is known).
    var RAnswer: JSONValue { (R ?? ResourceSet()).json }

    /// The answer to resource.status: R, the ranks up and down, the drains of R's ranks
    /// and its hostnames; what is `allocated` when the scheduler said.
    func statusAnswer(allocated: ResourceSet?) -> JSONValue {
        let R = self.R ?? ResourceSet()
        let ranks = R.ranks
        var drains: [String: JSONValue] = [:]
        for (rank, drain) in drained where ranks.contains(rank) { drains[String(rank)] = drain.json }
        var status: [String: JSONValue] = [
            "R": R.json, "up": .string(up.intersection(ranks).description),
            "down": .string(ranks.subtracting(up).description), "drained": .object(drains),
            "allocated": "", "nodelist": .array(ranks.map { .string(R.hostname(ofRank: $0) ?? "") }),
        ]
        if let allocated {
            status["allocated_R"] = allocated.json
            status["allocated"] = .string(allocated.ranks.description)
        }
        return .object(status)
    }

    /// A drain request (targets, reason, mode, force), at time `now`.
    mutating func drain(_ body: JSONValue, at now: Double) throws(ServiceError) -> [Action] {
        let ranks = try targets(body)
        let reason = try body.string("reason") ?? ""
        var mode = try Self.drainMode(body)
        if mode == nil, try body.flag("force") == true { mode = "overwrite" }
        let already = IDSet(ranks.filter { drained[$0] != nil })
        if mode == nil, !already.isEmpty {
            throw ServiceError(EEXIST, "rank\(already.count > 1 ? "s" : "") \(already) already drained")
        }
        for rank in ranks {
            if var existing = drained[rank] {
                if mode != "update" || existing.reason.isEmpty { existing.reason = reason }
                if mode == "force-overwrite" { existing.timestamp = now }
                drained[rank] = existing
            } else {
                drained[rank] = Drain(reason: reason, timestamp: now)
            }
        }
        return [
            .saveDrains(drainsJSON),
            .log(.info, "drain idset=\(ranks) mode=\(mode ?? "none") reason=\(reason)"),
            .publish(.resourceDrain, ["ranks": .string(ranks.description), "reason": .string(reason)]),
        ]
    }

    /// An undrain request (targets, mode, reason).
    mutating func undrain(_ body: JSONValue) throws(ServiceError) -> [Action] {
        let ranks = try targets(body)
        let mode = try Self.drainMode(body)
        let reason = try body.string("reason")
        let notDrained = IDSet(ranks.filter { drained[$0] == nil })
        if mode == nil, !notDrained.isEmpty {
            throw ServiceError(EEXIST, "rank\(notDrained.count > 1 ? "s" : "") \(notDrained) not drained")
        }
        for rank in ranks { drained[rank] = nil }
        var event: [String: JSONValue] = ["ranks": .string(ranks.description)]
        if let reason { event["reason"] = .string(reason) }
        return [
            .saveDrains(drainsJSON),
            .log(.info, "undrain idset=\(ranks) mode=\(mode ?? "none") reason=\(reason ?? "")"),
            .publish(.resourceUndrain, .object(event)),
        ]
    }

    /// The "mode" of a drain or undrain request: nil, "update", "overwrite" or
    /// "force-overwrite"; EINVAL for another.
    private static func drainMode(_ body: JSONValue) throws(ServiceError) -> String? {
        guard let mode = try body.string("mode") else { return nil }
        guard ["update", "overwrite", "force-overwrite"].contains(mode) else {
            throw ServiceError(EINVAL, "invalid drain mode '\(mode)' specified")
        }
        return mode
    }

    /// The ranks named by "targets": an idset of ranks, or a hostlist of R's hosts.
    private func targets(_ body: JSONValue) throws(ServiceError) -> IDSet {
        guard let text = try body.string("targets"), !text.isEmpty else { throw ServiceError(EPROTO, "missing \"targets\"") }
        let R = self.R ?? ResourceSet()
        if let ids = try? IDSet(parsing: text) {
            let unknown = ids.subtracting(R.ranks)
            guard unknown.isEmpty else { throw ServiceError(ENOENT, "no such rank or host: \(unknown)") }
            return ids
        }
        let hosts: Hostlist
        do { hosts = try Hostlist(parsing: text) } catch { throw ServiceError(EINVAL, "targets \"\(text)\" are neither an idset nor a hostlist") }
        var ranks = IDSet()
        for host in hosts {
            let found = R.ranks(onHost: host)
            guard !found.isEmpty else { throw ServiceError(ENOENT, "no such rank or host: \(host)") }
            ranks = ranks.union(found)
        }
        return ranks
    }
}
