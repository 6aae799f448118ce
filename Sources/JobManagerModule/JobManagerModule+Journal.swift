// job-manager.events-journal: a stream of the events the job manager posts, as Flux's
// request of that name, for clients that follow many jobs at once (the Python
// FluxExecutor, fluxs-python(7)) without a KVS watch per job. Events reach subscribers
// once the commit that holds them is done and its replies are sent, so a submitter
// has the id of its job before the job's first event; each response carries the
// events of one commit.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// One subscriber of job-manager.events-journal.
struct JournalSubscriber {
    let request: Message
    /// Whose jobs: nil for every user's (the owner's choice with "userid": -1).
    let userid: UInt32?
    /// The event names wanted; nil for all.
    let allow: Set<String>?
}

/// An event posted, waiting for its commit before subscribers hear of it.
struct JournalEntry {
    let id: JobID
    let userid: UInt32
    let name: String
    /// `{"id":ID,"entry":ENTRY}` as compact JSON: the eventlog line, spliced.
    let text: [UInt8]

    init(id: JobID, userid: UInt32, entry: EventlogEntry, line: String) {
        self.id = id
        self.userid = userid
        name = entry.name
        var bytes = Array("{\"id\":\(Int64(bitPattern: id.value)),\"entry\":".utf8)
        bytes.append(contentsOf: line.utf8.dropLast())
        bytes.append(UInt8(ascii: "}"))
        text = bytes
    }
}

extension JobManagerModule {
    /// `{"userid"?: UID, "allow"?: [NAME, ...]}`: subscribes the requester.
    func subscribeJournal(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else {
            throw ServiceError(EPROTO, "job-manager.events-journal is a streaming request")
        }
        var allow: Set<String>?
        if let names = body["allow"], !names.isNull {
            if let list = names.arrayValue, list.allSatisfy({ $0.stringValue != nil }) {
                allow = Set(list.compactMap(\.stringValue))
            } else if let object = names.objectValue {
                allow = Set(object.keys)
            } else {
                throw ServiceError(EPROTO, "\"allow\" must be an array of event names")
            }
        }
        journal.append(JournalSubscriber(request: request, userid: try Self.userFilter(request, body), allow: allow))
        context.respond(to: request, ["events": []])
    }

    /// Sends the events of a finished commit to the subscribers who may see them.
    func publishJournal(_ entries: [JournalEntry]) {
        guard !journal.isEmpty, !entries.isEmpty else { return }
        let size = entries.reduce(16) { $0 + $1.text.count + 1 }
        for subscriber in journal {
            var payload = Array("{\"events\":[".utf8)
            payload.reserveCapacity(size)
            var count = 0
            for posted in entries {
                if let uid = subscriber.userid, uid != posted.userid { continue }
                if let allow = subscriber.allow, !allow.contains(posted.name) { continue }
                if count > 0 { payload.append(UInt8(ascii: ",")) }
                payload.append(contentsOf: posted.text)
                count += 1
            }
            payload.append(contentsOf: "]}".utf8)
            if count > 0 { context.respond(to: subscriber.request, encoded: payload) }
        }
    }

    /// `{"matchtag": M}`: ends the requester's journal stream sent with matchtag M (it
    /// ends with ENODATA); answered with {} unless the request has noresponse.
    func cancelJournal(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard let matchtag = try body.integer("matchtag", as: UInt32.self) else {
            throw ServiceError(EPROTO, "missing \"matchtag\" (the stream's) in the request")
        }
        let mine = { (s: JournalSubscriber) in s.request.route == request.route && s.request.matchtag == matchtag }
        for subscriber in journal where mine(subscriber) {
            context.respond(to: subscriber.request, error: ServiceError(ENODATA, ""))
        }
        journal.removeAll(where: mine)
        context.respond(to: request, [:])
    }

    /// Ends the journal streams of a client that went away (the error answers clear the
    /// broker's records; nobody receives them).
    func dropJournal(route: [String], _ error: ServiceError) {
        for subscriber in journal where subscriber.request.route == route { context.respond(to: subscriber.request, error: error) }
        journal.removeAll { $0.request.route == route }
    }
}
