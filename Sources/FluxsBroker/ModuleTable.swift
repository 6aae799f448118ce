// Which modules this broker knows (compiled in) and which are running.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The broker's modules: the compiled-in types and the running instances.
struct ModuleTable {
    private(set) var types: [String: any BrokerModule.Type] = [:]
    private(set) var order: [String] = []
    var running: [String: (module: any BrokerModule, context: ModuleContext, started: Double)] = [:]

    mutating func register(_ type: any BrokerModule.Type) {
        if types[type.name] == nil { order.append(type.name) }
        types[type.name] = type
    }

    func owner(ofService service: String) -> String? {
        for name in order where types[name]!.services.contains(service) { return name }
        return nil
    }

    func attributeChanged(_ name: String) {
        for entry in running.values { entry.module.attributeChanged(name) }
    }
}

extension Broker {
    /// Makes a compiled-in module known to this broker (before `start()`).
    public func register(module type: any BrokerModule.Type) {
        modules.register(type)
    }

    /// Starts a module by name.
    public func loadModule(_ name: String) throws(ServiceError) {
        guard let type = modules.types[name] else { throw ServiceError(ENOENT, "no module named \(name) (see fluxs module list)") }
        guard modules.running[name] == nil else { throw ServiceError(EEXIST, "module \(name) is already loaded") }
        for service in type.services {
            if let provider = routes.providers[service], routes.endpoints[provider] != nil {
                throw ServiceError(EEXIST, "service \(service) is already provided by \(provider)")
            }
        }
        let (module, context) = ModuleContext.make(type, name: name, in: self)
        attach(context)
        for service in type.services { routes.providers[service] = context.id }
        do {
            try context.start()
        } catch {
            detach(context.id)
            throw ServiceError(error.errnum, "module \(name) failed to start: \(error.message)")
        }
        modules.running[name] = (module, context, Self.wallClock())
        log(.debug, "module \(name) loaded")
    }

    /// Stops a running module.
    public func removeModule(_ name: String) throws(ServiceError) {
        guard let entry = modules.running.removeValue(forKey: name) else {
            throw ServiceError(ENOENT, "module \(name) is not loaded")
        }
        entry.module.stop()
        entry.context.reset()
        detach(entry.context.id)
        log(.debug, "module \(name) removed")
    }

    /// Starts the modules that load by default on this rank; the broker cannot start
    /// without them, so the first failure stops it (the modules started are stopped).
    /// Loads the modules this rank runs: each module's own rule (e.g. sched on rank 0
    /// only), unless the attribute broker.modules.NAME ("all", "none" or an idset of
    /// ranks; [modules] in a system instance's configuration) says otherwise.
    func loadDefaultModules() throws(ServiceError) {
        for (name, _) in attributes.all.map({ ($0.name, $0.value) }) where name.hasPrefix("broker.modules.") {
            let module = String(name.dropFirst("broker.modules.".count))
            guard modules.types[module] != nil else {
                throw ServiceError(EINVAL, "\(name): there is no module \(module) (known: \(modules.order.joined(separator: ", ")))")
            }
        }
        for name in modules.order where try loadsHere(name) {
            do throws(ServiceError) {
                try loadModule(name)
            } catch {
                removeAllModules()
                throw error
            }
        }
    }

    private func loadsHere(_ name: String) throws(ServiceError) -> Bool {
        guard let rule = attributes["broker.modules.\(name)"] else { return modules.types[name]!.loadsByDefault(rank: rank) }
        switch rule {
        case "all": return true
        case "none": return false
        default:
            do { return try IDSet(parsing: rule).contains(rank) } catch {
                throw ServiceError(EINVAL, "broker.modules.\(name) \"\(rule)\": not all, none or an idset of ranks")
            }
        }
    }

    /// Stops every module, newest first.
    func removeAllModules() {
        for name in modules.order.reversed() where modules.running[name] != nil {
            try? removeModule(name)
        }
    }

    func registerModuleServices() {
        simple(.module.list) { [unowned self] _, _ in
            .array(self.modules.order.map { name in
                let type = self.modules.types[name]!
                let running = self.modules.running[name]
                return [
                    "name": .string(name), "services": .array(type.services.map { .string($0) }),
                    "state": .string(running == nil ? "stopped" : "running"),
                    "requests": .int(Int64(running?.context.requestsHandled ?? 0)),
                ]
            })
        }
        simple(.module.load) { [unowned self] _, body in
            try self.loadModule(try body.requiredString("name"))
            return [:]
        }
        simple(.module.remove) { [unowned self] _, body in
            try self.removeModule(try body.requiredString("name"))
            return [:]
        }
        simple(.module.stats) { [unowned self] _, body in
            let name = try body.requiredString("name")
            guard let entry = self.modules.running[name] else { throw ServiceError(ENOENT, "module \(name) is not loaded") }
            var stats = entry.module.stats()
            stats["name"] = .string(name)
            stats["requests"] = .int(Int64(entry.context.requestsHandled))
            stats["events"] = .int(Int64(entry.context.eventsReceived))
            stats["uptime"] = .double(Self.wallClock() - entry.started)
            return .object(stats)
        }
    }
}
