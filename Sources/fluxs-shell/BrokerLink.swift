// The shell's connection to its broker, driven by the shell's reactor: requests go out
// at once, responses come back to the callback of their matchtag (a streaming request
// keeps its callback until an error ends it). Losing the broker is fatal to the shell.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A broker connection served by a reactor.
final class BrokerLink {
    private let handle: FluxsHandle
    private var callbacks: [UInt32: (Message) -> Void] = [:]
    private var streaming: Set<UInt32> = []
    private var watcher: FDWatcher?
    /// Called once when the connection breaks.
    var onLost: ((ServiceError) -> Void)?

    init(uri: FluxsURI, reactor: Reactor) throws {
        handle = try FluxsHandle(uri: uri)
        watcher = try reactor.watch(fd: handle.fileDescriptor) { [unowned self] in self.drain() }
    }

    /// Sends a request; `done` gets each response (the last one for a plain request).
    func rpc(_ method: ServiceMethod, _ payload: JSONValue, nodeid: NodeID = .any, streaming: Bool = false,
             _ done: @escaping (Message) -> Void = { _ in }) {
        do {
            let tag = try handle.sendRequest(method, payload: payload.compactBytes, nodeid: nodeid,
                                             flags: streaming ? .streaming : [])
            callbacks[tag] = done
            if streaming { self.streaming.insert(tag) }
        } catch {
            lost(error)
        }
    }

    /// Sends a request nobody waits for.
    func send(_ method: ServiceMethod, _ payload: JSONValue) {
        do {
            try handle.send(.request(method.topic, payload: payload.compactBytes, nodeid: .any, matchtag: 0, flags: .noresponse))
        } catch {
            lost(error)
        }
    }

    private func drain() {
        while true {
            let message: Message
            do {
                guard let next = try handle.receiveIfReady() else { return }
                message = next
            } catch {
                lost(error)
                return
            }
            guard message.type == .response, let callback = callbacks[message.matchtag] else { continue }
            if !streaming.contains(message.matchtag) || message.errnum != 0 {
                callbacks[message.matchtag] = nil
                streaming.remove(message.matchtag)
            }
            callback(message)
        }
    }

    private func lost(_ error: ServiceError) {
        watcher?.cancel()
        watcher = nil
        let handler = onLost
        onLost = nil
        handler?(error)
    }
}
