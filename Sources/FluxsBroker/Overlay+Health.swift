// Health of the overlay: hello, keepalives, lost peers, rejoin, and the status tree.
//
// Every `tbon.keepalive-period` seconds (default 2.5) a broker sends a keepalive to its
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
    var keepalivePeriod: Double { Self.seconds(broker.attributes["tbon.keepalive-period"], default: 2.5) }
    var timeout: Double { health.timeout }

    /// A duration attribute's seconds, or `value` when unset or not a positive duration.
    static func seconds(_ text: String?, default value: Double) -> Double {
        guard let text, let s = try? FluxDuration.parse(text), s > 0, s.isFinite else { return value }
        return s
    }

    /// Whether the broker is shutting down (a silent parent is then expected).
    var shuttingDown: Bool { broker.life.machine.state == .shutdown }

    func startKeepalives() {
        keepaliveTimer = broker.reactor.every(min(keepalivePeriod, timeout / 2)) { [unowned self] in
            let now = Reactor.now()
            self.forgetOldSentUp(now: now)
            self.perform(self.health.tick(now: now, shuttingDown: self.shuttingDown))
        }
    }

    /// Performs what the health state machine says.
    func perform(_ actions: [OverlayHealth.Action]) {
        for action in actions {
            switch action {
            case .keepalive(let peer):
                sendControl("keepalive", to: peer)
            case .parentLost(let reason):
                broker.parentLost(reason)
            case .childLost(let child, let reason):
                childLost(child, reason: reason)
            case .reconnect(let next, let lost, let reason):
                reconnect(to: next, lost: lost, reason: reason)
            case .orphansLost(let orphans):
                orphansLost(orphans)
            case .childLeft(let child):
                broker.failPending(at: String(child), with: ServiceError(EHOSTUNREACH, "rank \(child) shut down"))
            case .childLeftDuringShutdown(let child):
                broker.log(.debug, "overlay: rank \(child) left during shutdown")
            case .childRejoined(let child):
                broker.log(.notice, "overlay: rank \(child) rejoined")
            case .shutdownDone:
                shutdownTimer?.cancel()
                shutdownTimer = nil
                let done = shutdownDone
                shutdownDone = nil
                done?()
            }
        }
    }

    /// A child vanished: fail what is pending in its subtree (or, when healing, what
    /// its children cannot answer once they move here), log, publish overlay.lost.
    private func childLost(_ child: UInt32, reason: String) {
        // An adopted child's children go to their own grandparent, not here: its whole
        // part is lost here, and this broker stops leading there.
        defer { if isAdopted(child) { forgetAdopted(child) } }
        if heal, !isAdopted(child), !topology.children(of: child).isEmpty {
            let orphans = childLostHealing(child, reason: reason)
            let waiting = orphans.isEmpty ? "" : "; waiting for ranks \(IDSet(orphans)) to move here"
            broker.log(.err, "overlay: rank \(child) is lost (\(reason))\(waiting)")
            broker.publishFromAnyRank(EventTopic.overlayLost.topic, ["rank": .int(Int64(child)), "ranks": .string(String(child))])
            return
        }
        let subtree = ranksBehind(child)
        let unreachable = subtree.count == 1 ? "it is unreachable" : "ranks \(IDSet(subtree)) are unreachable"
        broker.log(.err, "overlay: rank \(child) is lost (\(reason)); \(unreachable)")
        broker.failPending(at: String(child), with: ServiceError(EHOSTUNREACH, "rank \(child) was lost (\(reason))"))
        broker.publishFromAnyRank(EventTopic.overlayLost.topic, ["rank": .int(Int64(child)), "ranks": .string(IDSet(subtree).description)])
    }

    func parentControl(_ topic: String) {
        if topic == "shutdown" { broker.beginShutdown(reason: "the instance is shutting down") }
        if topic.hasPrefix("moved."), let child = UInt32(topic.dropFirst(6)) { forgetMoved(child) }
    }

    /// Why a request cannot go toward `target` through `child`, or nil when it can.
    func unreachable(_ target: UInt32, via child: UInt32) -> ServiceError? { health.unreachable(target, via: child) }

    // MARK: - Status

    /// Answers `overlay.status` for this broker's subtree, asking online children.
    func status(_ request: Message) {
        let online = health.onlineChildren
        var entries: [UInt32: JSONValue] = [:]
        for (child, link) in health.children where link.state != .online {
            entries[child] = [
                "rank": .int(Int64(child)), "status": .string(link.state.rawValue),
                "unreachable": .string(IDSet(ranksBehind(child)).description),
            ]
        }
        var pending = Set(online)
        let reply: () -> Void = { [unowned self] in
            let kids = self.health.children.keys.sorted().compactMap { entries[$0] }
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
                do throws(ServiceError) {
                    if response.errnum != 0 { throw ServiceError(response: response) }
                    entries[child] = try response.json()
                } catch {
                    entries[child] = ["rank": .int(Int64(child)), "status": "lost", "error": .string(error.message)]
                }
                pending.remove(child)
                if pending.isEmpty {
                    answered = true
                    deadline.cancel()
                    reply()
                }
            }
        }
    }

    // MARK: - Requests the overlay itself makes

    /// Sends a request from the overlay (its route starts with "overlay").
    func rpc(_ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID, _ callback: @escaping (Message) -> Void) {
        let matchtag = rpcs.register(callback)
        var request = Message.request(method.topic, value: payload, nodeid: nodeid, matchtag: matchtag)
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
