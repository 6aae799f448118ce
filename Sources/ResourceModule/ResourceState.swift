// Rank 0's view of the instance's resources as a state machine with no I/O: R, which
// ranks are up, which are drained and why. Each input (R configured, a rank's hello,
// ranks lost by the overlay, the stored drains read back, a drain or undrain request in
// ResourceState+Requests.swift) returns the actions ResourcePool performs, in order.
//
// R is configured (resource.path / resource.R) or assembled once every rank has said
// hello; exclude removes ranks; without resource.noverify a configured R is checked
// against what each rank found, and a rank that falls short is drained with the reason.
// Drains are kept in the KVS (key resource.drain) and read back at start. Queries wait
// until R and the stored drains are known (`ready`); `.answerWaiting` says they are.
import FluxsBroker
import FluxsFormats
import FluxsHwloc
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The resources of the instance, on rank 0, without I/O.
struct ResourceState {
    /// Why and since when a rank is drained.
    struct Drain: Equatable {
        var reason: String
        var timestamp: Double
        var json: JSONValue { ["reason": .string(reason), "timestamp": .double(timestamp)] }
    }

    /// What ResourcePool must do.
    enum Action: Equatable {
        /// Publish an event.
        case publish(EventTopic, JSONValue)
        /// Keep the drains in the KVS: the new value of resource.drain.
        case saveDrains(JSONValue)
        /// Log a line.
        case log(LogLevel, String)
        /// Serve the queries that waited for R and the stored drains (always the last action).
        case answerWaiting
    }

    /// The number of ranks of the instance.
    let size: UInt32
    /// True when a configured R is trusted (resource.noverify), not checked against the ranks.
    let noverify: Bool
    /// The ranks or hosts left out of R (resource.exclude), nil for none.
    let exclude: String?
    /// R as configured, nil when it is assembled from the hellos.
    private(set) var configured: ResourceSet?
    /// The instance's R, once known.
    private(set) var R: ResourceSet?
    /// What each rank found, from its hello.
    private(set) var inventories: [UInt32: NodeInventory] = [:]
    /// Rank 0 (it answers), and the ranks that said hello and were not lost since.
    private(set) var up: IDSet = [0]
    /// The drained ranks (drain and undrain requests change them too).
    var drained: [UInt32: Drain] = [:]
    /// True once the stored drains were read back (or could not be).
    private(set) var drainsLoaded = false

    /// The state of an instance of `size` ranks before anything is known; EINVAL when
    /// `exclude` is neither an idset of ranks nor a hostlist.
    init(size: UInt32, noverify: Bool = false, exclude: String? = nil) throws(ServiceError) {
        if let exclude, !exclude.isEmpty, (try? IDSet(parsing: exclude)) == nil, (try? Hostlist(parsing: exclude)) == nil {
            throw ServiceError(EINVAL, "resource.exclude \"\(exclude)\" is neither an idset of ranks nor a hostlist")
        }
        self.size = size
        self.noverify = noverify
        self.exclude = exclude?.isEmpty == false ? exclude : nil
    }

    /// True when queries can be answered: R and the stored drains are known.
    var ready: Bool { R != nil && drainsLoaded }

    /// What `fluxs module stats resource` shows of rank 0's state.
    var stats: [String: JSONValue] {
        [
            "nnodes": .int(Int64(R?.nnodes ?? 0)), "up": .string(up.description),
            "drained": .int(Int64(drained.count)), "hellos": .int(Int64(inventories.count)),
        ]
    }

    /// The value kept under resource.drain: each drain by rank.
    var drainsJSON: JSONValue {
        var value: [String: JSONValue] = [:]
        for (rank, drain) in drained { value[String(rank)] = drain.json }
        return .object(value)
    }

    // MARK: - Inputs

    /// R is configured: it is R at once (less exclude).
    mutating func configure(_ R: ResourceSet, at now: Double) -> [Action] {
        configured = R
        return finishR(at: now)
    }

    /// Rank `rank` said hello with what it found: it is up (announced when it was not),
    /// R is assembled once every rank has, and a configured R is checked against it.
    mutating func hello(rank: UInt32, inventory: NodeInventory, at now: Double) -> [Action] {
        var actions: [Action] = []
        let wasUp = up.contains(rank)
        if inventories[rank] != nil, !wasUp { actions.append(.log(.notice, "resource: rank \(rank) is up again")) }
        inventories[rank] = inventory
        up.insert(rank)
        if !wasUp { actions.append(.publish(.resourceUp, ["ranks": .string(String(rank))])) }
        if R == nil, inventories.count == Int(size) { actions += finishR(at: now) }
        if configured != nil, !noverify { actions += verify(rank, at: now) }
        return actions
    }

    /// The overlay lost `ranks`: they are down until they say hello again.
    mutating func lose(_ ranks: IDSet) -> [Action] {
        up = up.subtracting(ranks)
        return [.log(.notice, "resource: ranks \(ranks) are down (lost by the overlay)")]
    }

    /// The stored drains were read back (none kept: `.success([:])`) or could not be.
    /// They add to the drains verification made meanwhile, which are then kept too.
    mutating func drainsRead(_ stored: Result<[String: JSONValue], ServiceError>) -> [Action] {
        var actions: [Action] = []
        let drainedBefore = !drained.isEmpty
        switch stored {
        case .failure(let error):
            actions.append(.log(.err, "resource: cannot read the stored drains: \(error.message)"))
        case .success(let value):
            for (key, entry) in value {
                guard let rank = UInt32(key), let reason = entry["reason"]?.stringValue,
                    let timestamp = entry["timestamp"]?.doubleValue, drained[rank] == nil
                else { continue }
                drained[rank] = Drain(reason: reason, timestamp: timestamp)
            }
        }
        if drainedBefore { actions.append(.saveDrains(drainsJSON)) }
        drainsLoaded = true
        if ready { actions.append(.answerWaiting) }
        return actions
    }

    // MARK: - R and verification

    /// R is known: exclude applied, the inventories in checked against a configured R.
    private mutating func finishR(at now: Double) -> [Action] {
        var actions: [Action] = []
        var r = configured ?? ResourceSet(nodes: inventories.sorted { $0.key < $1.key }.map { $0.value.resourceNode(rank: $0.key) })
        if let exclude {
            var ranks = IDSet()
            if let ids = try? IDSet(parsing: exclude) { ranks = ids } else {
                for host in (try? Hostlist(parsing: exclude)) ?? Hostlist() {
                    let onHost = r.ranks(onHost: host)
                    if onHost.isEmpty { actions.append(.log(.warning, "resource.exclude: no rank runs on \(host)")) }
                    ranks = ranks.union(onHost)
                }
            }
            r = r.restricted(to: r.ranks.subtracting(ranks))
        }
        R = r
        if configured != nil, !noverify { for rank in inventories.keys.sorted() { actions += verify(rank, at: now) } }
        if ready { actions.append(.answerWaiting) }
        return actions
    }

    /// Checks `rank` against R: a rank that falls short is drained with the reason, kept
    /// once the stored drains are in (drainsRead keeps it then), and announced: the
    /// scheduler must stop using it.
    private mutating func verify(_ rank: UInt32, at now: Double) -> [Action] {
        guard let node = R?.node(rank: rank), let inventory = inventories[rank],
            let shortfall = inventory.shortfall(against: node)
        else { return [] }
        var actions: [Action] = [.log(.err, "resource: rank \(rank) drained: \(shortfall)")]
        guard drained[rank] == nil else { return actions }
        drained[rank] = Drain(reason: shortfall, timestamp: now)
        if drainsLoaded { actions.append(.saveDrains(drainsJSON)) }
        actions.append(.publish(.resourceDrain, ["ranks": .string(String(rank)), "reason": .string(shortfall)]))
        return actions
    }
}
