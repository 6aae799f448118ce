// Healing the tree (tbon.heal, on by default). When a broker's parent goes silent for
// tbon.timeout, the broker connects to its grandparent instead (or, when that one is
// silent too, the next ancestor up) and says hello there: its subtree stays as it was
// and keeps serving, and its running jobs go on. The ancestor adopts it as a child of
// its own. The broker that lost the child publishes overlay.lost for that one rank
// only, and expects the lost child's children to come; those that have not come
// within three tbon.timeouts are lost with their subtrees, as without healing.
//
// Streaming requests in flight toward the orphans' subtrees (the launches of jobs'
// shells) are not failed: they wait for the orphan, and its answers come back on the
// new link; other requests into the lost subtree fail at once, as before. On the
// orphan's side, a response whose route passes through the lost parent is sent to
// the new parent instead, past the lost one's entry. Requests that were waiting on the lost parent
// itself fail with EHOSTUNREACH, as they did.
//
// Who may adopt whom: with a shared certificate (a system instance) or without
// CURVE, any ancestor; with keys of each broker's own (PMI bootstrap), the
// grandparent, the only one that fetched the orphan's public key at start. A lost
// broker that comes back rejoins in its old place, without the children that moved.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

extension Overlay {
    /// The ancestors a broker can move to, nearest first, and the cards it needs for
    /// them (PMI or configuration), given who would admit it (see above).
    static func healTargets(of rank: UInt32, in topology: Topology, sharedKeys: Bool) -> [UInt32] {
        guard let parent = topology.parent(of: rank) else { return [] }
        var ancestors: [UInt32] = []
        var r = parent
        while let up = topology.parent(of: r) {
            ancestors.append(up)
            r = up
        }
        return sharedKeys ? ancestors : Array(ancestors.prefix(1))
    }

    /// The grandchildren whose keys a broker must admit, to adopt them.
    static func grandchildren(of rank: UInt32, in topology: Topology) -> [UInt32] {
        topology.children(of: rank).flatMap { topology.children(of: $0) }
    }

    /// The peer for a descendant that connected as an orphan, made and attached now;
    /// nil when healing is off, while this subtree shuts down, or when `orphan` is not
    /// below this broker. The streams waiting on the neighbour that led to the orphan
    /// until now (its lost parent, which this broker may not yet know is lost) and
    /// bound for the orphan's subtree move to the orphan, whose answers now come
    /// straight here.
    func adopt(_ orphan: UInt32) -> OverlayPeer? {
        guard heal, !shuttingDown, health.awaitingGoodbye == nil, orphan != rank, topology.isInSubtree(orphan, of: rank) else {
            return nil
        }
        let formerLead = childToward(orphan)
        let peer = OverlayPeer(overlay: self, rank: orphan)
        peers[orphan] = peer
        health.adopt(orphan)
        broker.attach(peer)
        if let formerLead {
            for request in moveStreams(from: formerLead, to: [orphan]) { broker.remember(request, at: String(formerLead)) }
        }
        broker.log(.notice, "overlay: adopted rank \(orphan), whose parent rank \(topology.parent(of: orphan).map(String.init) ?? "?") is gone")
        return peer
    }

    /// Moves the streams pending at neighbour `from` whose target is in the subtree of
    /// one of `orphans` to that orphan; returns the requests that did not move (taken
    /// from `from`: the caller puts them back or fails them).
    private func moveStreams(from: UInt32, to orphans: [UInt32]) -> [Message] {
        var rest: [Message] = []
        for request in broker.takePending(at: String(from)) {
            // Only streams (a job's shells, chiefly) are likely to have gone past the
            // lost broker before it died; a single request is more likely lost with it.
            let target = request.nodeid.rawValue
            if request.flags.contains(.streaming), target != from,
               let orphan = orphans.first(where: { topology.isInSubtree(target, of: $0) }) {
                broker.remember(request, at: String(orphan))
            } else {
                rest.append(request)
            }
        }
        return rest
    }

    /// Keeps a response sent to the parent, for a while (see forgetOldSentUp).
    func keepSentUp(_ message: Message) {
        sentUp.append((Reactor.now(), message))
    }

    /// Forgets the responses sent up longer ago than a parent's death can go unnoticed
    /// (tbon.timeout and two keepalive periods); called at each keepalive tick.
    func forgetOldSentUp(now: Double) {
        let window = timeout + 2 * keepalivePeriod
        guard let first = sentUp.first, now - first.time > window else { return }
        sentUp.removeFirst(sentUp.firstIndex { now - $0.time <= window } ?? sentUp.count)
    }

    /// After a move to `parent`: sends again the responses that went to the lost
    /// parent lately (it may have died with them), past its entry on their routes.
    /// Job-exec takes a shell's report twice as once.
    private func resendSentUp(to parent: OverlayPeer) {
        let kept = sentUp
        sentUp.removeAll()
        for (_, message) in kept {
            var response = message
            guard response.route.last == parent.id else { continue }
            response.route.removeLast()
            send(response, to: parent.rank)
        }
    }

    /// The neighbour that leads to `target`, a rank below this one: the nearest of
    /// target's ancestors (itself included) that is a child, original or adopted.
    func childToward(_ target: UInt32) -> UInt32? {
        var r = target
        while r != rank {
            if peers[r] != nil { return r }
            guard let up = topology.parent(of: r) else { return nil }
            r = up
        }
        return nil
    }

    /// The ranks reached through `child` from here (child and the part of its subtree
    /// that has not moved to another child).
    func ranksBehind(_ child: UInt32) -> [UInt32] {
        [child] + topology.descendants(of: child).filter { childToward($0) == child }
    }

    /// Moves this broker to `next`, an ancestor, after its parent `lost` went silent.
    func reconnect(to next: UInt32, lost: UInt32, reason: String) {
        guard let card = ancestorCards[next], !card.uri.isEmpty else {
            return broker.parentLost(reason + "; no endpoint known for rank \(next)")
        }
        if let key = card.publicKey { curveKeys?.parent = key }
        let old = parentPeer
        let peer = OverlayPeer(overlay: self, rank: next)
        parentPeer = peer
        broker.attach(peer)
        if let old {
            formerParents.insert(old.id)
            broker.failPending(at: old.id, with: ServiceError(EHOSTUNREACH, "rank \(lost) was lost (\(reason))"))
        }
        do throws(ServiceError) {
            try connect(to: next, at: card.uri)
        } catch {
            return broker.parentLost(reason + "; cannot connect to rank \(next): \(error.message)")
        }
        resendSentUp(to: peer)
        broker.log(.err, "overlay: \(reason); moved to rank \(next)")
        broker.attributes.setByBroker("tbon.parent-endpoint", card.uri)
        broker.attributes.setByBroker("tbon.parent-rank", String(next))
    }

    /// The id to deliver a response to when its route names a parent this broker had
    /// before healing: past that entry (and its own entry for us) to the present
    /// parent. Nil when the response cannot go on from here.
    func rerouteFromFormerParent(_ route: inout [String]) -> String? {
        while let top = route.last, formerParents.contains(top) { route.removeLast() }
        guard let parentPeer else { return nil }
        if route.last == parentPeer.id { route.removeLast() }
        return parentPeer.id
    }

    /// A child was lost with healing on: its children may come as orphans (or have
    /// come already), so the streams toward their subtrees wait for them; the rest
    /// fail. Returns the orphans still to come.
    func childLostHealing(_ child: UInt32, reason: String) -> [UInt32] {
        let orphans = topology.children(of: child)
        let error = ServiceError(EHOSTUNREACH, "rank \(child) was lost (\(reason))")
        for request in moveStreams(from: child, to: orphans) { broker.respond(to: request, error: error) }
        let coming = orphans.filter { !health.isOnline($0) }
        health.expect(orphans: coming, until: Reactor.now() + 3 * timeout)
        return coming
    }

    /// Whether `child` came here as an orphan (it is not a child in the tree's shape).
    func isAdopted(_ child: UInt32) -> Bool { topology.parent(of: child) != rank }

    /// An adopted child that was lost: this broker no longer leads there (its own
    /// orphans go to their grandparent, not here); the tree's shape routes again.
    func forgetAdopted(_ child: UInt32) {
        peers[child] = nil
        perform(health.forget(child))
        broker.detach(String(child))
    }

    /// Tells a child that said hello which of its children moved here while it was
    /// away (a lost broker started again): they stay here, and it forgets them.
    func tellMoved(_ child: UInt32) {
        guard heal else { return }
        for grandchild in topology.children(of: child) where health.isOnline(grandchild) {
            sendControl("moved.\(grandchild)", to: child)
        }
    }

    /// The parent says `child` moved to it: this broker no longer leads there.
    func forgetMoved(_ child: UInt32) {
        guard peers.removeValue(forKey: child) != nil else { return }
        perform(health.forget(child))
        broker.detach(String(child))
        broker.log(.notice, "overlay: rank \(child) moved to rank \(parentPeer?.rank ?? 0) while this broker was away")
    }

    /// Orphans that did not come: they and what is behind them are lost.
    func orphansLost(_ orphans: [UInt32]) {
        for orphan in orphans where !health.isOnline(orphan) {
            let stranded = topology.descendants(of: orphan).filter { rank in childToward(rank).map { !health.isOnline($0) } ?? true }
            let ranks = IDSet([orphan] + stranded)
            broker.log(.err, "overlay: rank \(orphan) did not come after its parent was lost; ranks \(ranks) are unreachable")
            broker.failPending(at: String(orphan), with: ServiceError(EHOSTUNREACH, "rank \(orphan) did not come back after its parent was lost"))
            broker.publishFromAnyRank(EventTopic.overlayLost.topic, ["rank": .int(Int64(orphan)), "ranks": .string(ranks.description)])
        }
    }
}
