// Rank 0's view of the instance's resources: R, up, drained. R is configured
// (resource.path / resource.R) or assembled once every rank has said hello; exclude
// removes ranks; without resource.noverify a configured R is checked against what each
// rank found, and a rank that falls short is drained with the reason. Drains are kept in
// the KVS (key resource.drain) and read back at start.
import FluxsBroker
import FluxsFormats
import FluxsHwloc
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// The resources of the instance, on rank 0.
final class ResourcePool {
    let context: ModuleContext
    let size: UInt32
    var inventories: [UInt32: NodeInventory] = [:]
    var configured: ResourceSet?
    var R: ResourceSet?
    var up = IDSet()
    var drained: [UInt32: Drain] = [:]
    var waiting: [Message] = []
    var drainsLoaded = false
    let noverify: Bool

    /// Why and since when a rank is drained.
    struct Drain {
        var reason: String
        var timestamp: Double
        var json: JSONValue { ["reason": .string(reason), "timestamp": .double(timestamp)] }
    }

    init(context: ModuleContext, size: UInt32) throws(ServiceError) {
        self.context = context
        self.size = size
        noverify = (context.attribute("resource.noverify") ?? "0") != "0"
        configured = try Self.configuredR(context)
        if let exclude = context.attribute("resource.exclude"), !exclude.isEmpty,
            (try? IDSet(parsing: exclude)) == nil, (try? Hostlist(parsing: exclude)) == nil
        {
            throw ServiceError(EINVAL, "resource.exclude \"\(exclude)\" is neither an idset of ranks nor a hostlist")
        }
        // Rank 0 answers, so it is up; its inventory (for verification) comes later.
        up.insert(0)
        if configured != nil { finishR() }
        loadDrains()
        askForInventories()
    }

    func stop() {
        for request in waiting { context.respond(to: request, error: ServiceError(ECANCELED, "the resource module is stopping")) }
        waiting.removeAll()
    }

    var stats: [String: JSONValue] {
        [
            "nnodes": .int(Int64(R?.nnodes ?? 0)), "up": .string(up.description),
            "drained": .int(Int64(drained.count)), "hellos": .int(Int64(inventories.count)),
        ]
    }

    // MARK: - Requests

    func handle(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        if request.topic == ServiceMethod.resource.hello.topic {
            guard let rank = try body.integer("rank", as: UInt32.self), rank < size, let inv = body["inventory"] else {
                throw ServiceError(EPROTO, "resource.hello needs a rank of this instance and an inventory")
            }
            hello(rank: rank, inventory: try NodeInventory(json: inv))
            return context.respond(to: request, [:])
        }
        guard R != nil, drainsLoaded else { return waiting.append(request) }
        try answer(request, body)
    }

    private func answer(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard let R else { return }
        switch request.topic {
        case ServiceMethod.resource.R.topic:
            context.respond(to: request, R.json)
        case ServiceMethod.resource.status.topic:
            // What is allocated comes from the scheduler (none when no scheduler is loaded).
            context.rpc(.sched.status, [:]) { [unowned self] answer in
                var status = self.status(R).objectValue ?? [:]
                if answer.errnum == 0, let allocated = (try? JSONValue(parsing: answer.payload))?["allocated"],
                    let allocatedR = try? ResourceSet(json: allocated)
                {
                    status["allocated_R"] = allocatedR.json
                    status["allocated"] = .string(allocatedR.ranks.description)
                }
                self.context.respond(to: request, .object(status))
            }
        case ServiceMethod.resource.drain.topic:
            // As flux-core's drain.c: without a mode, drained targets are an error;
            // "update" sets only missing reasons, "overwrite" replaces the reason,
            // "force-overwrite" the reason and the time. "force": true is "overwrite".
            let ranks = try targets(body, in: R)
            let reason = try body.string("reason") ?? ""
            var mode = try Self.drainMode(body)
            if mode == nil, try body.flag("force") == true { mode = "overwrite" }
            let already = IDSet(ranks.filter { drained[$0] != nil })
            if mode == nil, !already.isEmpty {
                throw ServiceError(EEXIST, "rank\(already.count > 1 ? "s" : "") \(already) already drained")
            }
            let now = Broker.wallClock()
            for rank in ranks {
                if var existing = drained[rank] {
                    if mode != "update" || existing.reason.isEmpty { existing.reason = reason }
                    if mode == "force-overwrite" { existing.timestamp = now }
                    drained[rank] = existing
                } else {
                    drained[rank] = Drain(reason: reason, timestamp: now)
                }
            }
            saveDrains()
            context.log(.info, "drain idset=\(ranks) mode=\(mode ?? "none") reason=\(reason)")
            context.publish("resource.drain", ["ranks": .string(ranks.description), "reason": .string(reason)])
            context.respond(to: request, [:])
        case ServiceMethod.resource.undrain.topic:
            // Targets not drained are an error unless a mode is given (-u, -f); the
            // reason goes into the log and the event, as Flux's undrain event keeps it.
            let ranks = try targets(body, in: R)
            let mode = try Self.drainMode(body)
            let reason = try body.string("reason")
            let notDrained = IDSet(ranks.filter { drained[$0] == nil })
            if mode == nil, !notDrained.isEmpty {
                throw ServiceError(EEXIST, "rank\(notDrained.count > 1 ? "s" : "") \(notDrained) not drained")
            }
            for rank in ranks { drained[rank] = nil }
            saveDrains()
            context.log(.info, "undrain idset=\(ranks) mode=\(mode ?? "none") reason=\(reason ?? "")")
            var event: [String: JSONValue] = ["ranks": .string(ranks.description)]
            if let reason { event["reason"] = .string(reason) }
            context.publish("resource.undrain", .object(event))
            context.respond(to: request, [:])
        default:
            throw ServiceError(ENOSYS, "resource has no method \"\(request.topic.dropFirst(9))\"")
        }
    }

    private func status(_ R: ResourceSet) -> JSONValue {
        let ranks = R.ranks
        var drains: [String: JSONValue] = [:]
        for (rank, drain) in drained where ranks.contains(rank) { drains[String(rank)] = drain.json }
        return [
            "R": R.json, "up": .string(up.intersection(ranks).description),
            "down": .string(ranks.subtracting(up).description), "drained": .object(drains),
            "allocated": "", "nodelist": .array(ranks.map { .string(R.hostname(ofRank: $0) ?? "") }),
        ]
    }

    /// The ranks named by "targets": an idset of ranks, or a hostlist of R's hosts.
    /// The "mode" of a drain or undrain request: nil, "update", "overwrite" or
    /// "force-overwrite"; EINVAL for another.
    private static func drainMode(_ body: JSONValue) throws(ServiceError) -> String? {
        guard let mode = try body.string("mode") else { return nil }
        guard ["update", "overwrite", "force-overwrite"].contains(mode) else {
            throw ServiceError(EINVAL, "invalid drain mode '\(mode)' specified")
        }
        return mode
    }

    private func targets(_ body: JSONValue, in R: ResourceSet) throws(ServiceError) -> IDSet {
        guard let text = try body.string("targets"), !text.isEmpty else { throw ServiceError(EPROTO, "missing \"targets\"") }
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

    // MARK: - Ranks coming and going

    func hello(rank: UInt32, inventory: NodeInventory) {
        let rejoined = inventories[rank] != nil && !up.contains(rank)
        let wasUp = up.contains(rank)
        inventories[rank] = inventory
        up.insert(rank)
        if rejoined { context.log(.notice, "resource: rank \(rank) is up again") }
        if !wasUp { context.publish("resource.up", ["ranks": .string(String(rank))]) }
        if R == nil, inventories.count == Int(size) { finishR() }
        if configured != nil, !noverify { verify(rank) }
    }

    func lost(_ event: Message) {
        guard let body = try? JSONValue(parsing: event.payload), let text = body["ranks"]?.stringValue,
            let ranks = try? IDSet(parsing: text)
        else { return }
        up = up.subtracting(ranks)
        context.log(.notice, "resource: ranks \(ranks) are down (lost by the overlay)")
    }

    /// R is known: apply exclude, verify what has arrived, answer the waiting queries.
    private func finishR() {
        var r = configured ?? ResourceSet(nodes: inventories.keys.sorted().map { inventories[$0]!.resourceNode(rank: $0) })
        if let exclude = context.attribute("resource.exclude"), !exclude.isEmpty {
            let ranks = (try? IDSet(parsing: exclude)) ?? {
                var found = IDSet()
                for host in (try? Hostlist(parsing: exclude)) ?? Hostlist() {
                    let ranks = r.ranks(onHost: host)
                    if ranks.isEmpty { context.log(.warning, "resource.exclude: no rank runs on \(host)") }
                    found = found.union(ranks)
                }
                return found
            }()
            r = r.restricted(to: r.ranks.subtracting(ranks))
        }
        R = r
        if configured != nil, !noverify { for rank in inventories.keys { verify(rank) } }
        answerWaiting()
    }

    /// Serves the queries that waited for R and the stored drains.
    private func answerWaiting() {
        guard R != nil, drainsLoaded else { return }
        let queued = waiting
        waiting.removeAll()
        for request in queued { context.dispatch(request) }
    }

    private func verify(_ rank: UInt32) {
        guard let R, let node = R.node(rank: rank), let inventory = inventories[rank],
            let shortfall = inventory.shortfall(against: node)
        else { return }
        context.log(.err, "resource: rank \(rank) drained: \(shortfall)")
        guard drained[rank] == nil else { return }
        drained[rank] = Drain(reason: shortfall, timestamp: Broker.wallClock())
        // Kept once the stored drains are in (loadDrains keeps it then), and announced:
        // the scheduler must stop using the rank.
        if drainsLoaded { saveDrains() }
        context.publish("resource.drain", ["ranks": .string(String(rank)), "reason": .string(shortfall)])
    }

    // MARK: - Configuration and persistence

    private static func configuredR(_ context: ModuleContext) throws(ServiceError) -> ResourceSet? {
        var text = context.attribute("resource.R")
        var origin = "resource.R"
        if text == nil, let path = context.attribute("resource.path") {
            origin = path
            text = try readFile(path)
        }
        guard let text else { return nil }
        do { return try ResourceSet(parsing: text) } catch { throw ServiceError(EINVAL, "\(origin): \(error.message)") }
    }

    private static func readFile(_ path: String) throws(ServiceError) -> String {
        do { return try Descriptors.readFile(path) } catch { throw ServiceError(error.errnum, "resource.path \(error.message)") }
    }

    /// Asks every other rank for what it found: after this module is reloaded on rank 0
    /// their hellos are long gone. A rank still discovering says hello when it is done.
    private func askForInventories() {
        guard size > 1 else { return }
        for rank in 1..<size {
            context.rpc(.resource.infoLocal, [:], nodeid: .rank(rank)) { [unowned self] response in
                guard response.errnum == 0, let body = try? JSONValue(parsing: response.payload),
                    let json = body["inventory"], let inventory = try? NodeInventory(json: json), self.inventories[rank] == nil
                else { return }
                self.hello(rank: rank, inventory: inventory)
            }
        }
    }

    private func loadDrains() {
        context.rpc(.kvs.get, ["key": "resource.drain"]) { [unowned self] response in
            defer {
                self.drainsLoaded = true
                self.answerWaiting()
            }
            let drainedBefore = self.drained
            defer { if !drainedBefore.isEmpty { self.saveDrains() } }
            if response.errnum == ENOENT { return }
            let value: [String: JSONValue]
            do throws(ServiceError) {
                if response.errnum != 0 { throw ServiceError(response: response) }
                guard let object = try response.json()["value"]?.objectValue else {
                    throw ServiceError(EPROTO, "resource.drain is not an object")
                }
                value = object
            } catch {
                return self.context.log(.err, "resource: cannot read the stored drains: \(error.message)")
            }
            for (key, entry) in value {
                guard let rank = UInt32(key), let reason = entry["reason"]?.stringValue,
                    let timestamp = entry["timestamp"]?.doubleValue, self.drained[rank] == nil
                else { continue }
                self.drained[rank] = Drain(reason: reason, timestamp: timestamp)
            }
        }
    }

    private func saveDrains() {
        var value: [String: JSONValue] = [:]
        for (rank, drain) in drained { value[String(rank)] = drain.json }
        context.rpc(.kvs.commit, KVSCommitRequest([.put("resource.drain", .object(value))]).json) { [unowned self] response in
            if response.errnum != 0 { self.context.log(.err, "resource: cannot keep drains in the KVS: \(response.errorText)") }
        }
    }
}
