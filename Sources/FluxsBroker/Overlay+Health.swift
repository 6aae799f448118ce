// Health of the overlay: hello, keepalives, lost peers, rejoin, and the status tree.
//
// Every `tbon.keepalive-period` seconds (default 1) a broker sends a keepalive to its
// parent and to its online children; any message from a neighbour counts as a sign of
// life. A child silent for `tbon.timeout` (default 10 s), or whose connection ZeroMQ
// reports gone when we send to it, is lost: requests pending in its subtree fail with
// EHOSTUNREACH, new ones are refused at once, and an `overlay.lost` event is
// published. A broker whose parent is silent for `tbon.timeout` shuts itself (and its
// subtree) down. A restarted broker that connects again with the same rank is marked
// online again (ZMQ_ROUTER_HANDOVER hands its identity to the new connection): its
// subtree is reachable again; requests lost with it are not replayed.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

extension Overlay {
    var keepalivePeriod: Double { seconds("tbon.keepalive-period", default: 1) }
    var timeout: Double { seconds("tbon.timeout", default: 10) }

    private func seconds(_ attribute: String, default value: Double) -> Double {
        guard let text = broker.attributes[attribute], let s = try? FluxDuration.parse(text), s > 0, s.isFinite else {
            return value
        }
        return s
    }

    func startKeepalives() {
        keepaliveTimer = broker.reactor.every(min(keepalivePeriod, timeout / 2)) { [unowned self] in self.keepalive() }
    }

    private func keepalive() {
        let now = Reactor.now()
        if let parentPeer {
            sendControl("keepalive", to: parentPeer.rank)
            if now - parentLastSeen > timeout, broker.life.machine.state != .shutdown {
                broker.parentLost("lost the parent (rank \(parentPeer.rank)): no sign of life for \(FluxDuration.format(timeout))")
            }
        }
        for (child, link) in children where link.state == .online {
            if now - link.lastSeen > timeout {
                childLost(child, reason: "no sign of life for \(FluxDuration.format(timeout))")
            } else {
                sendControl("keepalive", to: child)
            }
        }
    }

    // MARK: - Events from neighbours

    func childControl(_ topic: String, from child: UInt32) {
        switch topic {
        case "hello":
            childJoined(child)
        case "goodbye":
            children[child]?.state = .offline
            broker.failPending(at: String(child), with: ServiceError(EHOSTUNREACH, "rank \(child) shut down"))
            shutdownWait?.remaining.remove(child)
            finishShutdownWaitIfDone()
        default:
            if children[child]?.state != .online { childJoined(child) }
        }
    }

    func parentControl(_ topic: String) {
        if topic == "shutdown" { broker.beginShutdown(reason: "the instance is shutting down") }
    }

    func childJoined(_ child: UInt32) {
        let before = children[child]?.state
        children[child]?.state = .online
        children[child]?.lastSeen = Reactor.now()
        if before == .lost { broker.log(.notice, "overlay: rank \(child) rejoined") }
    }

    func childLost(_ child: UInt32, reason: String) {
        guard children[child]?.state == .online else { return }
        // While this subtree shuts down, a child that is gone has simply gone first
        // (its goodbye may still be on the way): not a loss.
        if shutdownWait != nil || broker.life.machine.state == .shutdown {
            children[child]?.state = .offline
            broker.log(.debug, "overlay: rank \(child) left during shutdown")
            shutdownWait?.remaining.remove(child)
            finishShutdownWaitIfDone()
            return
        }
        children[child]?.state = .lost
        let subtree = [child] + topology.descendants(of: child)
        let unreachable = subtree.count == 1 ? "it is unreachable" : "ranks \(IDSet(subtree)) are unreachable"
        broker.log(.err, "overlay: rank \(child) is lost (\(reason)); \(unreachable)")
        broker.failPending(at: String(child), with: ServiceError(EHOSTUNREACH, "rank \(child) was lost (\(reason))"))
        shutdownWait?.remaining.remove(child)
        finishShutdownWaitIfDone()
        broker.publishFromAnyRank("overlay.lost", ["rank": .int(Int64(child)), "ranks": .string(IDSet(subtree).description)])
    }

    /// Why a request cannot go toward `target` through `child`, or nil when it can.
    func unreachable(_ target: UInt32, via child: UInt32) -> ServiceError? {
        switch children[child]?.state {
        case .online?: return nil
        case .lost?: return ServiceError(EHOSTUNREACH, "rank \(target) is unreachable: rank \(child) is lost")
        default: return ServiceError(EHOSTUNREACH, "rank \(target) is unreachable: rank \(child) is offline")
        }
    }

    // MARK: - Status

    /// Answers `overlay.status` for this broker's subtree, asking online children.
    func status(_ request: Message) {
        let online = children.filter { $0.value.state == .online }.keys.sorted()
        var entries: [UInt32: JSONValue] = [:]
        for (child, link) in children where link.state != .online {
            entries[child] = Self.unreachableEntry(child, state: link.state, topology: topology)
        }
        var pending = Set(online)
        let reply: () -> Void = { [unowned self] in
            let kids = self.children.keys.sorted().compactMap { entries[$0] }
            let states = kids.compactMap { $0["status"]?.stringValue }
            let status = states.contains { $0 == "lost" || $0 == "degraded" } ? "degraded"
                : states.contains { $0 == "offline" || $0 == "partial" } ? "partial" : "full"
            self.broker.respond(to: request, payload: [
                "rank": .int(Int64(self.rank)), "host": .string(self.broker.attributes["hostname"] ?? ""),
                "status": .string(status), "children": .array(kids),
            ])
        }
        if pending.isEmpty { return reply() }
        var answered = false
        let deadline = broker.reactor.after(min(timeout, 5)) {
            guard !answered else { return }
            answered = true
            for child in pending { entries[child] = ["rank": .int(Int64(child)), "status": "lost", "error": "no answer"] }
            reply()
        }
        for child in online {
            rpc(.overlay.status, nodeid: .rank(child)) { response in
                guard !answered else { return }
                entries[child] = response.errnum == 0
                    ? ((try? JSONValue(parsing: response.payload)) ?? [:])
                    : ["rank": .int(Int64(child)), "status": "lost", "error": .string(response.errorText)]
                pending.remove(child)
                if pending.isEmpty {
                    answered = true
                    deadline.cancel()
                    reply()
                }
            }
        }
    }

    private static func unreachableEntry(_ child: UInt32, state: PeerState, topology: Topology) -> JSONValue {
        [
            "rank": .int(Int64(child)), "status": .string(state.rawValue),
            "unreachable": .string(IDSet([child] + topology.descendants(of: child)).description),
        ]
    }

    // MARK: - Requests the overlay itself makes

    /// Sends a request from the overlay (its route starts with "overlay").
    func rpc(_ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID, _ callback: @escaping (Message) -> Void) {
        let matchtag = rpcs.register(callback)
        var request = Message.request(method.topic, payload: payload.compactBytes, nodeid: nodeid, matchtag: matchtag)
        request.userid = broker.ownerUID
        request.rolemask = .owner
        broker.receive(request, from: self)
    }
}

extension Overlay: Endpoint {
    var id: String { "overlay" }
    func deliver(_ message: Message) {
        if message.type == .response { rpcs.callback(for: message)?(message) }
    }
}
