// Rank 0's resource pool: the I/O around ResourceState, which decides. It reads the
// configured R (resource.R, or the file named by resource.path), reads back the stored
// drains (kvs.get of resource.drain), asks the other ranks for their inventories
// (resource.info-local), parks the queries that come before R and the drains are
// known, asks the scheduler what is allocated for resource.status (sched.status), and
// performs the state's actions: events, KVS commits, log lines, the parked queries.
import FluxsBroker
import FluxsFormats
import FluxsHwloc
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// The resources of the instance, on rank 0: ResourceState and its I/O.
final class ResourcePool {
    let context: ModuleContext
    private(set) var state: ResourceState
    /// The queries that came before the state was ready, in order.
    private var waiting: [Message] = []

    init(context: ModuleContext, size: UInt32) throws(ServiceError) {
        self.context = context
        let noverify = (context.attribute("resource.noverify") ?? "0") != "0"
        let configured = try Self.configuredR(context)
        state = try ResourceState(size: size, noverify: noverify, exclude: context.attribute("resource.exclude"))
        if let configured { perform(state.configure(configured, at: Broker.wallClock())) }
        loadDrains()
        askForInventories()
    }

    /// Refuses the parked queries: the module is stopping.
    func stop() {
        for request in waiting { context.respond(to: request, error: ServiceError(ECANCELED, "the resource module is stopping")) }
        waiting.removeAll()
    }

    // MARK: - Inputs

    /// Serves a request: hello at once, the queries once the state is ready.
    func handle(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        if request.topic == ServiceMethod.resource.hello.topic {
            guard let rank = try body.integer("rank", as: UInt32.self), rank < state.size, let inv = body["inventory"] else {
                throw ServiceError(EPROTO, "resource.hello needs a rank of this instance and an inventory")
            }
            hello(rank: rank, inventory: try NodeInventory(json: inv))
            return context.respond(to: request, [:])
        }
        guard state.ready else { return waiting.append(request) }
        switch request.topic {
        case ServiceMethod.resource.R.topic:
            context.respond(to: request, state.RAnswer)
        case ServiceMethod.resource.status.topic:
            // What is allocated comes from the scheduler (none when no scheduler is loaded).
            context.rpc(.sched.status, [:]) { [unowned self] answer in
                var allocated: ResourceSet?
                do {
                    // No scheduler (ENOSYS) or none allocated (null) is no allocation.
                    if answer.errnum == 0, let json = try answer.json()["allocated"], !json.isNull {
                        allocated = try ResourceSet(json: json)
                    }
                } catch {
                    self.context.log(.warning, "resource: an unreadable sched.status answer: \(error)")
                }
                self.context.respond(to: request, self.state.statusAnswer(allocated: allocated))
            }
        case ServiceMethod.resource.drain.topic:
            let actions = try state.drain(body, at: Broker.wallClock())
            perform(actions)
            context.respond(to: request, [:])
        case ServiceMethod.resource.undrain.topic:
            let actions = try state.undrain(body)
            perform(actions)
            context.respond(to: request, [:])
        default:
            throw ServiceError(ENOSYS, "resource has no method \"\(request.topic.dropFirst(9))\"")
        }
    }

    /// Rank `rank` found `inventory` (its hello, or rank 0's own discovery).
    func hello(rank: UInt32, inventory: NodeInventory) {
        perform(state.hello(rank: rank, inventory: inventory, at: Broker.wallClock()))
    }

    /// An overlay.lost event: its ranks are down.
    func lost(_ event: Message) {
        let ranks: IDSet
        do { ranks = try IDSet(parsing: try event.json().string("ranks") ?? "") } catch {
            return context.log(.err, "resource: an overlay.lost event without readable ranks: \(error)")
        }
        perform(state.lose(ranks))
    }

    // MARK: - Actions

    /// Performs the state's actions, in order.
    private func perform(_ actions: [ResourceState.Action]) {
        for action in actions {
            switch action {
            case .publish(let topic, let payload):
                context.publish(topic, payload)
            case .saveDrains(let value):
                context.rpc(.kvs.commit, KVSCommitRequest([.put("resource.drain", value)]).json) { [unowned self] response in
                    if response.errnum != 0 { self.context.log(.err, "resource: cannot keep drains in the KVS: \(response.errorText)") }
                }
            case .log(let level, let message):
                context.log(level, message)
            case .answerWaiting:
                let queued = waiting
                waiting.removeAll()
                for request in queued { context.dispatch(request) }
            }
        }
    }

    // MARK: - Configuration and the other ranks

    /// R as configured by resource.R or the file resource.path names; nil for neither.
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
        guard state.size > 1 else { return }
        for rank in 1..<state.size {
            context.rpc(.resource.infoLocal, [:], nodeid: .rank(rank)) { [unowned self] response in
                // A rank still discovering (EAGAIN) says hello itself when it is done.
                guard response.errnum == 0, self.state.inventories[rank] == nil else { return }
                do {
                    guard let json = try response.json()["inventory"] else { throw ServiceError(EPROTO, "no \"inventory\"") }
                    self.hello(rank: rank, inventory: try NodeInventory(json: json))
                } catch {
                    self.context.log(.err, "resource: rank \(rank)'s resource.info-local answer is unreadable: \(error)")
                }
            }
        }
    }

    /// Reads back the stored drains (none kept: ENOENT).
    private func loadDrains() {
        context.rpc(.kvs.get, ["key": "resource.drain"]) { [unowned self] response in
            let stored = Result { () throws(ServiceError) -> [String: JSONValue] in
                if response.errnum == ENOENT { return [:] }
                if response.errnum != 0 { throw ServiceError(response: response) }
                guard let object = try response.json()["value"]?.objectValue else {
                    throw ServiceError(EPROTO, "resource.drain is not an object")
                }
                return object
            }
            self.perform(self.state.drainsRead(stored))
        }
    }
}
