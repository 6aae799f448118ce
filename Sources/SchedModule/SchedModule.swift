// The sched service (man/man7/fluxs-sched-protocol.7), on rank 0: the job manager's
// counterpart in a protocol in the spirit of Flux RFC 27. It learns the instance's R
// from the resource service (and which ranks are down or drained, from its events),
// takes alloc requests (a stream: annotations, then success with R, deny, or cancel),
// frees, cancels and reprioritizes, and runs the FluxsSched Scheduler: one pass per
// loop turn in which anything changed. Another scheduler may replace this one by
// providing the same topics over the local socket.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
import FluxsSched
#if canImport(Glibc)
import Glibc
#endif

/// The scheduler service.
public final class SchedModule: BrokerModule {
    public static let name = "sched"
    public static let services = ["sched"]
    public static func loadsByDefault(rank: UInt32) -> Bool { rank == 0 }

    let context: ModuleContext
    var scheduler: Scheduler?
    /// Whether `scheduler` is set (asking the optional itself would copy the scheduler's
    /// graph and queue on every request).
    var hasScheduler = false
    var allocs: [JobID: Message] = [:]
    var unlimited: Set<JobID> = []
    var lastAnnotation: [JobID: String] = [:]
    var waiting: [Message] = []
    /// Why the instance's R could not be had (asked again every few seconds): requests
    /// get this error meanwhile instead of waiting for good.
    var noResources: ServiceError?
    var retry: TimerWatcher?
    var passArmed = false
    var passes = 0
    var passSeconds = 0.0
    /// When the instance itself ends (its R's expiration; 0: never): the end of a child
    /// instance's job in its parent, which bounds every allocation made here.
    var instanceEnd = 0.0
    let settings: Settings

    /// Policies and defaults from broker attributes.
    struct Settings {
        var queuePolicy: QueuePolicy = .easy
        var matchPolicy: MatchPolicy = .firstFit
        var queueDepth = 1000
        var defaultDuration = 3600.0
    }

    public init(context: ModuleContext) {
        self.context = context
        var s = Settings()
        if let text = context.attribute("sched.queue-policy") { s.queuePolicy = Self.queuePolicy(text) ?? .easy }
        if let text = context.attribute("sched.match-policy") { s.matchPolicy = MatchPolicy(rawValue: text) ?? .firstFit }
        if let text = context.attribute("sched.queue-depth"), let n = Int(text), n > 0 { s.queueDepth = n }
        if let text = context.attribute("sched.default-duration"), let d = try? FluxDuration.parse(text), d > 0 {
            s.defaultDuration = d
        }
        settings = s
    }

    public func start() throws(ServiceError) {
        if let text = context.attribute("sched.queue-policy"), Self.queuePolicy(text) == nil {
            throw ServiceError(EINVAL, "sched.queue-policy \"\(text)\": expected fcfs, easy, hybrid:N or conservative")
        }
        if let text = context.attribute("sched.match-policy"), MatchPolicy(rawValue: text) == nil {
            throw ServiceError(EINVAL, "sched.match-policy \"\(text)\": expected one of \(MatchPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for topic: EventTopic in [.resourceDrain, .resourceUndrain, .resourceUp, .overlayLost] {
            context.subscribe(topic) { [unowned self] _ in self.refreshAvailability() }
        }
        context.subscribe(.overlayLost) { [unowned self] event in self.ranksLost(event) }
        askForResources()
    }

    /// Asks the resource service for the instance's R; until it has it, the scheduler
    /// parks requests, or, once asking failed, refuses them and asks again later.
    func askForResources(retryIn delay: Double = 1) {
        context.rpc(.resource.R, [:]) { [unowned self] response in
            let R: ResourceSet
            do throws(ServiceError) {
                if response.errnum != 0 { throw ServiceError(response: response) }
                let json = try response.json()
                do throws(ParseError) { R = try ResourceSet(json: json) } catch { throw ServiceError(EPROTO, "an unreadable R: \(error.message)") }
            } catch {
                self.context.log(.err, "sched: cannot get the instance's R: \(error.message)")
                let failure = ServiceError(EAGAIN, "the scheduler has no resources yet: \(error.message)")
                self.noResources = failure
                let queued = self.waiting
                self.waiting.removeAll()
                for request in queued { self.context.respond(to: request, error: failure) }
                self.retry = self.context.reactor.after(delay) { [weak self] in self?.askForResources(retryIn: min(delay * 2, 30)) }
                return
            }
            self.noResources = nil
            self.instanceEnd = R.expiration
            self.hasScheduler = true
            self.scheduler = Scheduler(resources: R, queuePolicy: self.settings.queuePolicy,
                                       matchPolicy: self.settings.matchPolicy, queueDepth: self.settings.queueDepth,
                                       defaultDuration: self.settings.defaultDuration)
            self.context.log(.info, "sched: ready: \(R.nnodes) nodes, \(R.ncores) cores, \(R.ngpus) gpus")
            self.refreshAvailability()
            let queued = self.waiting
            self.waiting.removeAll()
            for request in queued { self.context.dispatch(request) }
        }
    }

    public func stop() {
        retry?.cancel()
        for request in allocs.values { context.respond(to: request, error: ServiceError(ECANCELED, "the scheduler is stopping")) }
        for request in waiting { context.respond(to: request, error: ServiceError(ECANCELED, "the scheduler is stopping")) }
        allocs.removeAll()
        waiting.removeAll()
    }

    public func stats() -> [String: JSONValue] {
        [
            "pending": .int(Int64(scheduler?.pendingCount ?? 0)), "running": .int(Int64(scheduler?.runningCount ?? 0)),
            "passes": .int(Int64(passes)), "pass-seconds": .double(passSeconds),
        ]
    }

    static func queuePolicy(_ text: String) -> QueuePolicy? {
        switch text {
        case "fcfs": return .fcfs
        case "easy": return .easy
        case "conservative": return .conservative
        default:
            guard text.hasPrefix("hybrid:"), let depth = Int(text.dropFirst(7)), depth > 0 else { return nil }
            return .hybrid(reservationDepth: depth)
        }
    }

    /// Asks the resource service which ranks are down or drained.
    func refreshAvailability() {
        context.rpc(.resource.status, [:]) { [unowned self] response in
            let status: JSONValue
            var unavailable: IDSet
            do throws(ServiceError) {
                if response.errnum != 0 { throw ServiceError(response: response) }
                status = try response.json()
                let down = try status.string("down") ?? ""
                do throws(ParseError) { unavailable = try IDSet(parsing: down) } catch {
                    throw ServiceError(EPROTO, "\"down\" is not an idset: \(error.message)")
                }
            } catch {
                return self.context.log(.err, "sched: cannot learn which ranks are down or drained: \(error.message)")
            }
            for key in status["drained"]?.objectValue?.keys ?? [:].keys { if let r = UInt32(key) { unavailable.insert(r) } }
            self.scheduler?.setUnavailable(unavailable)
            self.armPass()
        }
    }

    /// Running jobs on lost ranks get a fatal exception through the job manager (their
    /// resources come back with the job's free, minus the ranks that are down).
    func ranksLost(_ event: Message) {
        guard let s = scheduler else { return }
        let lost: IDSet
        do { lost = try IDSet(parsing: try event.json().string("ranks") ?? "") } catch {
            return context.log(.err, "sched: an overlay.lost event without readable ranks: \(error)")
        }
        guard !lost.isEmpty else { return }
        for job in s.resources.runningJobs {
            guard let R = s.resources.allocation(of: job) else { continue }
            let hit = R.ranks.intersection(lost)
            guard !hit.isEmpty else { continue }
            let note = "the job lost \(hit.count == 1 ? "rank" : "ranks") \(hit): the broker there is gone"
            context.rpc(.jobManager.raise, JobRaise(id: job, type: "node-failure", note: note).json) { [unowned self] response in
                if response.errnum != 0 { self.context.log(.err, "sched: cannot raise node-failure on job \(job): \(response.errorText)") }
            }
        }
    }

    /// Runs one scheduling pass at the end of this loop turn.
    func armPass() {
        guard !passArmed else { return }
        passArmed = true
        context.reactor.after(0) { [weak self] in self?.pass() }
    }

    private func pass() {
        passArmed = false
        let start = Reactor.now()
        // Mutated in place: a copy of the scheduler would copy its graph and queue.
        guard let decisions = scheduler?.schedule(now: Broker.wallClock()) else { return }
        passSeconds += Reactor.now() - start
        passes += 1
        apply(decisions)
    }
}
