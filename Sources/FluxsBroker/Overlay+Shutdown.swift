// Orderly shutdown, leaves first: a broker that finishes tells its online children to
// shut down, waits for each to say goodbye (or be lost, or `tbon.shutdown-timeout`,
// default 10 s, to pass), then says goodbye to its own parent and exits. Rank 0 is
// thus the last to go, and no broker is left behind.
import FluxsFormats
import FluxsReactor

extension Overlay {
    /// Shuts the subtree down, then says goodbye upstream, then calls `done`.
    func shutdown(then done: @escaping () -> Void) {
        shutdownDone = { [unowned self] in
            if let parentPeer { self.sendControl("goodbye", to: parentPeer.rank) }
            done()
        }
        let online = health.beginShutdown()
        for child in online { sendControl("shutdown", to: child) }
        if !online.isEmpty {
            let limit = (try? FluxDuration.parse(broker.attributes["tbon.shutdown-timeout"] ?? "10")) ?? 10
            shutdownTimer = broker.reactor.after(limit) { [unowned self] in
                let (late, actions) = self.health.shutdownTimedOut()
                if !late.isEmpty {
                    self.broker.log(.err, "overlay: ranks \(IDSet(late)) did not shut down within \(FluxDuration.format(limit))")
                }
                self.perform(actions)
            }
        }
        perform(health.finishShutdown())
    }
}
