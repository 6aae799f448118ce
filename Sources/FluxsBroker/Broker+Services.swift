// The broker's built-in services (man/man7/fluxs-protocol.7, section SERVICES):
//   broker.ping broker.shutdown broker.info
//   attr.get attr.set attr.rm attr.list
//   log.append log.dmesg (streaming with follow) log.clear
//   service.add service.remove
//   event.pub (rank 0) event.subscribe event.unsubscribe
//   module.list module.load module.remove module.stats
//   overlay.status overlay.join (rank 0)
//   config.get (the configuration from --config-path, {} without one)
// Payloads are JSON objects; errors are ServiceError (errnum + message).
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The services whose methods are built into the broker.
let builtinServices: Set<String> = ["broker", "attr", "log", "service", "event", "module", "overlay", "config"]

extension Broker {
    /// Fills the handler table.
    func registerBuiltins() {
        simple(.broker.ping) { [unowned self] req, body in
            var reply = body.objectValue ?? [:]
            reply["route"] = .string((req.route + [String(self.rank)]).joined(separator: "!"))
            reply["userid"] = .int(Int64(req.userid))
            reply["rolemask"] = .int(Int64(req.rolemask.rawValue))
            return .object(reply)
        }
        simple(.broker.info) { [unowned self] _, _ in
            [
                "rank": .int(Int64(self.rank)), "size": .int(Int64(self.attributes["size"].flatMap { Int64($0) } ?? 1)),
                "uptime": .double(Self.wallClock() - self.startTime), "state": .string(self.life.machine.state.rawValue),
                "owner": .int(Int64(self.ownerUID)), "starttime": .double(self.startTime),
            ]
        }
        builtin(.broker.shutdown) { [unowned self] req, body in
            // Answer first: with no initial program the broker is gone right after.
            self.respond(to: req, payload: [:])
            self.beginShutdown(reason: body["reason"]?.stringValue ?? "fluxs shutdown")
        }
        simple(.config.get) { [unowned self] _, _ in self.config }
        simple(.attr.get) { [unowned self] _, body in
            let name = try body.requiredString("name")
            guard let value = self.attributes[name] else { throw ServiceError(ENOENT, "attribute \(name) is not set") }
            return ["value": .string(value)]
        }
        simple(.attr.set) { [unowned self] _, body in
            let name = try body.requiredString("name")
            let value = try body.requiredString("value")
            try self.attributes.setAtRuntime(name, value)
            self.attributeChanged(name)
            return [:]
        }
        simple(.attr.rm) { [unowned self] _, body in
            try self.attributes.remove(try body.requiredString("name"))
            return [:]
        }
        simple(.attr.list) { [unowned self] _, _ in
            .array(self.attributes.all.map { ["name": .string($0.name), "value": .string($0.value), "flags": .string($0.access.rawValue)] })
        }
        simple(.log.append) { [unowned self] _, body in
            let message = try body.requiredString("message")
            let level = try body.integer("level", as: Int.self, in: 0...7) ?? LogLevel.notice.rawValue
            let app = try body.string("appname") ?? "logger"
            self.append(LogEntry(timestamp: Self.wallClock(), level: level, rank: self.rank, appname: app, message: message))
            return [:]
        }
        simple(.log.clear) { [unowned self] _, _ in
            self.logs.ring.clear()
            return [:]
        }
        builtin(.log.dmesg) { [unowned self] req, body in try self.dmesg(req, body) }
        simple(.service.add) { [unowned self] req, body in
            let name = try body.requiredString("service")
            try self.addService(name, providerID: try self.localClient(req))
            return [:]
        }
        simple(.service.remove) { [unowned self] req, body in
            let name = try body.requiredString("service")
            guard self.routes.providers[name] == (try self.localClient(req)) else {
                throw ServiceError(ENOENT, "service \(name) is not registered by this client")
            }
            self.routes.providers[name] = nil
            return [:]
        }
        simple(.event.pub) { [unowned self] req, body in
            let topic = try body.requiredString("topic")
            guard !topic.isEmpty else { throw ServiceError(EINVAL, "event topic is empty") }
            let payload = body["payload"].map { $0.compactBytes } ?? []
            return ["seq": .int(Int64(self.publish(topic, payload: payload, userid: req.userid)))]
        }
        simple(.event.subscribe) { [unowned self] req, body in
            let prefix = try body.requiredString("topic")
            let id = try self.localClient(req)
            self.routes.subscribe(id, to: prefix)
            return [:]
        }
        simple(.event.unsubscribe) { [unowned self] req, body in
            let prefix = try body.requiredString("topic")
            let id = try self.localClient(req)
            guard self.routes.unsubscribe(id, from: prefix) else { throw ServiceError(ENOENT, "not subscribed to \"\(prefix)\"") }
            return [:]
        }
        simple(.overlay.join) { [unowned self] _, body in
            let size = Int64(self.attributes["size"] ?? "1") ?? 1
            guard let joined = try? body.integer("rank", as: UInt32.self), joined > 0, Int64(joined) < size else {
                throw ServiceError(EPROTO, "overlay.join needs the \"rank\" of a broker other than 0")
            }
            self.rankJoined(joined)
            return [:]
        }
        builtin(.overlay.status) { [unowned self] req, _ in
            if let overlay = self.overlay {
                overlay.status(req)
            } else {
                self.respond(to: req, payload: [
                    "rank": .int(Int64(self.rank)), "host": .string(self.attributes["hostname"] ?? ""),
                    "status": "full", "children": [],
                ])
            }
        }
        registerModuleServices()
    }

    /// Adds a row to the built-in handler table.
    func builtin(_ method: ServiceMethod, _ run: @escaping (Message, JSONValue) throws -> Void) {
        routes.builtins[method.topic] = ServiceHandler(method, run)
    }

    /// Adds a row whose handler answers at once with the JSON it returns.
    func simple(_ method: ServiceMethod, _ body: @escaping (Message, JSONValue) throws -> JSONValue) {
        builtin(method) { [unowned self] req, payload in self.respond(to: req, payload: try body(req, payload)) }
    }

    /// Serves a request through the built-in handler table, as the module frame does:
    /// roles checked against the method's access, the payload decoded once.
    func serveBuiltin(_ handler: ServiceHandler, _ request: Message) {
        guard let failure = handler.serve(request) else { return }
        if failure.errnum == EPROTO { log(.warning, "\(request.topic) from uid \(request.userid): \(failure.message)") }
        respond(to: request, error: failure)
    }

    /// The client of this broker that sent `req`: services and subscriptions belong to a
    /// client of the broker they are registered with, never to a request that came
    /// through the overlay (its last hop would be a neighbouring broker, and messages
    /// for the service would bounce between the two).
    func localClient(_ req: Message) throws(ServiceError) -> String {
        guard req.route.count == 1, let id = req.route.first, routes.endpoints[id] is ClientConnection else {
            throw ServiceError(EINVAL, "\(req.topic) must come from a client of this broker (rank \(rank)), not through the overlay")
        }
        return id
    }

    /// The request's JSON payload, an object; an empty payload is an empty object.
    static func decodePayload(_ request: Message) throws(ServiceError) -> JSONValue {
        let body = try request.json()
        guard body.objectValue != nil else { throw ServiceError(EPROTO, "\(request.topic): payload must be a JSON object") }
        return body
    }

    func addService(_ name: String, providerID: String) throws(ServiceError) {
        guard !name.isEmpty, !name.contains(".") else { throw ServiceError(EINVAL, "service name \"\(name)\" must be non-empty, without dots") }
        guard !builtinServices.contains(name) else { throw ServiceError(EEXIST, "service \(name) is built in") }
        if let module = modules.owner(ofService: name), modules.running[module] != nil {
            throw ServiceError(EEXIST, "service \(name) is provided by the \(module) module (fluxs module remove \(module) first)")
        }
        if let current = routes.providers[name], routes.endpoints[current] != nil {
            throw ServiceError(EEXIST, "service \(name) is already registered")
        }
        routes.providers[name] = providerID
    }

    func attributeChanged(_ name: String) {
        if name == "log-ring-size", let size = Int(attributes[name] ?? "") { logs.ring.resize(size) }
        modules.attributeChanged(name)
    }

    private func dmesg(_ req: Message, _ body: JSONValue) throws(ServiceError) {
        guard req.wantsResponse else { return }
        guard req.flags.contains(.streaming) else { throw ServiceError(EPROTO, "log.dmesg is a streaming request") }
        for entry in logs.ring.all { routeResponse(req.response(payload: entry.json.compactBytes)) }
        if body["follow"]?.boolValue == true {
            logs.followers.append(req)
        } else {
            respond(to: req, error: ServiceError(ENODATA, ""))
        }
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
