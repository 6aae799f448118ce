// Orderly shutdown, leaves first: a broker that finishes tells its online children to
// shut down, waits for each to say goodbye (or be lost, or `tbon.shutdown-timeout`,
// default 10 s, to pass), then says goodbye to its own parent and exits. Rank 0 is
// thus the last to go, and no broker is left behind.
import FluxsFormats
import FluxsReactor

/// Children still to say goodbye, and what to do when they have.
struct ShutdownWait {
    var remaining: Set<UInt32>
    var done: () -> Void
    var timer: TimerWatcher?
}

extension Overlay {
    /// Shuts the subtree down, then says goodbye upstream, then calls `done`.
    func shutdown(then done: @escaping () -> Void) {
        let online = children.filter { $0.value.state == .online }.map(\.key)
        let finish: () -> Void = { [unowned self] in
            if let parentPeer { self.sendControl("goodbye", to: parentPeer.rank) }
            done()
        }
        guard !online.isEmpty else { return finish() }
        for child in online { sendControl("shutdown", to: child) }
        let limit = (try? FluxDuration.parse(broker.attributes["tbon.shutdown-timeout"] ?? "10")) ?? 10
        let timer = broker.reactor.after(limit) { [unowned self] in
            guard let wait = self.shutdownWait else { return }
            self.broker.log(.err, "overlay: ranks \(IDSet(wait.remaining)) did not shut down within \(FluxDuration.format(limit))")
            wait.remaining.forEach { self.children[$0]?.state = .lost }
            self.shutdownWait?.remaining.removeAll()
            self.finishShutdownWaitIfDone()
        }
        shutdownWait = ShutdownWait(remaining: Set(online), done: finish, timer: timer)
    }

    func finishShutdownWaitIfDone() {
        guard let wait = shutdownWait, wait.remaining.isEmpty else { return }
        shutdownWait = nil
        wait.timer?.cancel()
        wait.done()
    }
}
