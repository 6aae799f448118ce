// The kvs requests: reads (possibly waiting for a version or a key), commits (possibly
// through a fence), watches, version waits and namespaces.
import FluxsBroker
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

extension KVSModule {
    // MARK: - Reads

    func read(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let key = try key(body)
        try checkGuest(request, body, keys: [key], .reading)
        try bringBack(key, below: request.topic == ServiceMethod.kvs.lookup.topic, in: namespaceName(body))
        let ns = try space(body)
        let version = try body.integer("version", as: Int.self) ?? 0
        let waitcreate = try body.flag("waitcreate") == true
        let waitKey = request.topic == ServiceMethod.kvs.get.topic && waitcreate ? key : nil
        let absent = waitKey == nil ? false : try ns.entry(at: key) == nil
        if ns.version < version || absent {
            parked.append(Parked(request: request, namespace: ns.name, version: version, key: key, waitKey: waitKey))
            return
        }
        try answerRead(request, key: key, in: ns)
        archive?.trim()
    }

    func answerRead(_ request: Message, key: String, in ns: KVSNamespace) throws(ServiceError) {
        if request.topic == ServiceMethod.kvs.get.topic {
            context.respond(to: request, ["value": try ns.get(key), "version": .int(Int64(ns.version))])
        } else {
            var reply = try ns.lookup(key).json.objectValue ?? [:]
            reply["version"] = .int(Int64(ns.version))
            context.respond(to: request, .object(reply))
        }
    }

    func waitVersion(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let ns = try space(body)
        let version = try body.requiredInteger("version", as: Int.self)
        if ns.version >= version {
            context.respond(to: request, ["version": .int(Int64(ns.version))])
        } else {
            parked.append(Parked(request: request, namespace: ns.name, version: version, key: nil, waitKey: nil))
        }
    }

    // MARK: - Commits

    func commit(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let name = try namespaceName(body)
        let commit = try KVSCommitRequest(json: body)
        let ops = commit.ops
        try checkGuest(request, body, keys: ops.map(\.key), .writing)
        guard namespaces[name] != nil else { throw ServiceError(ENOENT, "namespace \(name) not found") }
        if !commit.owners.isEmpty || !commit.inactive.isEmpty {
            guard request.rolemask.contains(.owner) else {
                throw ServiceError(EPERM, "only the instance owner may say who owns a job or that it is inactive")
            }
            jobOwners.merge(commit.owners) { $1 }
            if ops.isEmpty && commit.fence == nil {
                archived(commit.inactive, in: name)
                return context.respond(to: request, [:])
            }
        }
        if let (fenceName, nprocs) = commit.fence {
            var gathered = fences[fenceName] ?? Fence(namespace: name, nprocs: nprocs)
            guard gathered.nprocs == nprocs, gathered.namespace == name else {
                throw ServiceError(EINVAL, "fence \(fenceName) was started with nprocs \(gathered.nprocs) in namespace \(gathered.namespace)")
            }
            gathered.requests.append(request)
            gathered.ops += ops
            if gathered.requests.count < gathered.nprocs {
                fences[fenceName] = gathered
                return
            }
            fences[fenceName] = nil
            apply(gathered.ops, in: name, answering: gathered.requests)
        } else {
            apply(ops, in: name, answering: [request])
        }
        archived(commit.inactive, in: name)
    }

    /// Jobs the job manager says are inactive (after the commit that says so): their
    /// directories may go to the archive.
    private func archived(_ inactive: [JobID], in name: String) {
        guard let archive, name == "primary", !inactive.isEmpty else { return }
        archive.add(inactive)
        archive.trim()
    }

    /// Applies ops as one commit and answers `requests` once it is durable.
    func apply(_ ops: [KVSOperation], in name: String, answering requests: [Message]) {
        var standIns: [String] = []
        do throws(ServiceError) {
            for op in ops {
                if name == "primary", let archive, case .unlink(let key, true) = op, try archive.standIn(forRemoving: key) {
                    standIns.append(key)
                    continue
                }
                // A directory above the jobs' must look as full as it is to a plain unlink.
                if case .unlink(let key, false) = op, JobArchive.isAbove(key) {
                    try bringBack(key, below: true, in: name)
                } else {
                    try bringBack(op.key, below: false, in: name)
                }
            }
        } catch {
            standIns.forEach { archive?.withdraw($0) }
            for r in requests { context.respond(to: r, error: error) }
            return
        }
        guard var ns = namespaces.removeValue(forKey: name) else {
            for r in requests { context.respond(to: r, error: ServiceError(ENOENT, "namespace \(name) not found")) }
            return
        }
        let result: KVSCommit
        do throws(ServiceError) {
            defer { namespaces[name] = ns }
            result = try ns.commit(ops)
        } catch {
            standIns.forEach { archive?.withdraw($0) }
            for r in requests { context.respond(to: r, error: error) }
            return
        }
        commits += 1
        // A purged job's directory takes its owner with it, and leaves the archive.
        if name == "primary" {
            for case .unlink(let key, _) in ops {
                if let (job, rest) = JobKeys.parse(key), JobKeys.isDirectory(rest) {
                    jobOwners[job.id] = nil
                    archive?.forget(job.id)
                }
            }
            if let archive {
                for change in result.changes where JobArchive.isAbove(change.key) {
                    if case .appended = change { continue }
                    archive.forgetBelow(change.key)
                }
                if archive.scratch { archive.eraseRemoved(result) }
            }
        }
        let reply: JSONValue = ["version": .int(Int64(result.version))]
        if let persistence {
            persistence.write(.commit(namespace: name, owner: ns.owner, result)) { [weak self] error in
                guard let self else { return }
                for r in requests {
                    if let error { self.context.respond(to: r, error: error) } else { self.context.respond(to: r, reply) }
                }
            }
        } else {
            for r in requests { context.respond(to: r, reply) }
        }
        committed(result, in: name)
        archive?.trim()
    }

    /// After a commit: answer the readers it satisfies and the watches it touches.
    func committed(_ result: KVSCommit, in name: String) {
        guard let version = namespaces[name]?.version else { return }
        var still: [Parked] = []
        for p in parked {
            guard p.namespace == name, version >= p.version else { still.append(p); continue }
            if let waitKey = p.waitKey {
                try? bringBack(waitKey, below: false, in: name)
                if ((try? namespaces[name]?.entry(at: waitKey)) ?? nil) == nil { still.append(p); continue }
            }
            do throws(ServiceError) {
                if let key = p.key {
                    try bringBack(key, below: p.request.topic == ServiceMethod.kvs.lookup.topic, in: name)
                    guard let ns = namespaces[name] else { throw KVSErrors.namespaceNotFound(name) }
                    try answerRead(p.request, key: key, in: ns)
                } else {
                    context.respond(to: p.request, ["version": .int(Int64(version))])
                }
            } catch {
                context.respond(to: p.request, error: error)
            }
        }
        parked = still
        for index in watches.indices.reversed() where watches[index].namespace == name && result.affects(watches[index].key) {
            if watches[index].append && watches[index].sentValue { sendAppended(index, result) } else { sendWatch(index) }
        }
    }

    // MARK: - Watches

    func watch(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "kvs.watch is a streaming request") }
        let key = try key(body)
        try checkGuest(request, body, keys: [key], .reading)
        let ns = try space(body)
        watches.append(Watch(request: request, namespace: ns.name, key: key, append: try body.flag("append") ?? false))
        sendWatch(watches.count - 1)
        archive?.trim()
    }

    /// `{"matchtag": M}`: ends the requester's watch sent with matchtag M (its stream
    /// ends with ENODATA), as Flux's kvs-watch.cancel; answered with {} unless the request
    /// has noresponse. A watch already ended is no error.
    func unwatch(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        try checkGuest(request, body, keys: [], .reading)
        guard let matchtag = try body.integer("matchtag", as: UInt32.self) else {
            throw ServiceError(EPROTO, "missing \"matchtag\" (the watch's) in the request")
        }
        let mine = { (w: Watch) in w.request.route == request.route && w.request.matchtag == matchtag }
        for w in watches where mine(w) { context.respond(to: w.request, error: ServiceError(ENODATA, "")) }
        watches.removeAll(where: mine)
        context.respond(to: request, [:])
    }

    /// Answers watch `index` with the key's whole value (or directory, or missing); a
    /// key in an archived job directory that cannot be read back ends the watch.
    func sendWatch(_ index: Int) {
        let w = watches[index]
        let ns: KVSNamespace
        do throws(ServiceError) {
            try bringBack(w.key, below: true, in: w.namespace)
            guard let found = namespaces[w.namespace] else { throw KVSErrors.namespaceNotFound(w.namespace) }
            ns = found
        } catch {
            watches.remove(at: index)
            return context.respond(to: w.request, error: error)
        }
        var reply: [String: JSONValue] = ["version": .int(Int64(ns.version))]
        switch (try? ns.entry(at: w.key)) ?? nil {
        case .value(let v)?:
            reply["value"] = v
            watches[index].sentValue = true
        case .directory?: reply["dir"] = (try? ns.lookup(w.key).json["dir"]) ?? [:]
        case nil: reply["missing"] = true
        }
        watchResponses += 1
        context.respond(to: w.request, .object(reply))
    }

    /// Answers append-mode watch `index` with what `result` appended to its key; a key
    /// rewritten otherwise (put, unlink, a parent's change) ends the watch with EINVAL.
    func sendAppended(_ index: Int, _ result: KVSCommit) {
        let w = watches[index]
        var text = ""
        for change in result.changes where KVSCommit.related(change.key, w.key) {
            guard case .appended(let key, let appended, _) = change, key == w.key else {
                watches.remove(at: index)
                return context.respond(to: w.request, error: ServiceError(EINVAL, "\(w.key) was rewritten, not appended to (kvs.watch append)"))
            }
            text += appended
        }
        watchResponses += 1
        context.respond(to: w.request, ["version": .int(Int64(result.version)), "value": .string(text)])
    }

    /// A client went away: end what it was waiting for (the error answer also clears the
    /// broker's record of the pending request; nobody receives it).
    func disconnect(_ notice: Message) {
        let gone = ServiceError(ECONNRESET, "the client disconnected")
        for w in watches where w.request.route == notice.route { context.respond(to: w.request, error: gone) }
        for p in parked where p.request.route == notice.route { context.respond(to: p.request, error: gone) }
        watches.removeAll { $0.request.route == notice.route }
        parked.removeAll { $0.request.route == notice.route }
    }

    // MARK: - Namespaces

    func createNamespace(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard let name = try body.string("name") else { throw ServiceError(EPROTO, "missing \"name\"") }
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "/" }) else {
            throw ServiceError(EINVAL, "a namespace needs a name without spaces or slashes")
        }
        guard namespaces[name] == nil else { throw ServiceError(EEXIST, "namespace \(name) exists") }
        let owner = try body.integer("owner", as: UInt32.self) ?? request.userid
        namespaces[name] = KVSNamespace(name: name, owner: owner)
        answerWhenDurable(request, .createNamespace(name, owner: owner))
    }

    func removeNamespace(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard let name = try body.string("name") else { throw ServiceError(EPROTO, "missing \"name\"") }
        guard name != "primary" else { throw ServiceError(EINVAL, "the primary namespace cannot be removed") }
        guard namespaces[name] != nil else { throw ServiceError(ENOENT, "namespace \(name) not found") }
        namespaces[name] = nil
        for w in watches where w.namespace == name { context.respond(to: w.request, error: ServiceError(ENODATA, "")) }
        for p in parked where p.namespace == name {
            context.respond(to: p.request, error: ServiceError(ENOENT, "namespace \(name) was removed"))
        }
        for (fenceName, fence) in fences where fence.namespace == name {
            for r in fence.requests { context.respond(to: r, error: ServiceError(ENOENT, "namespace \(name) was removed")) }
            fences[fenceName] = nil
        }
        watches.removeAll { $0.namespace == name }
        parked.removeAll { $0.namespace == name }
        answerWhenDurable(request, .removeNamespace(name))
    }

    /// Answers {} once `write` is on disk (at once without a statedir).
    private func answerWhenDurable(_ request: Message, _ write: Persistence.Write) {
        guard let persistence else { return context.respond(to: request, [:]) }
        persistence.write(write) { [weak self] error in
            guard let self else { return }
            if let error { self.context.respond(to: request, error: error) } else { self.context.respond(to: request, [:]) }
        }
    }

    func listNamespaces(_ request: Message) {
        context.respond(to: request, .array(namespaces.values.sorted { $0.name < $1.name }.map {
            ["name": .string($0.name), "owner": .int(Int64($0.owner)), "version": .int(Int64($0.version))]
        }))
    }
}
