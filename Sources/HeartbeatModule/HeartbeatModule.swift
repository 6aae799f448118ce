// The heartbeat module: rank 0 publishes `heartbeat.pulse` every `heartbeat.period`
// seconds (default 2), a steady clock for services that age things (keepalives, purges)
// and a liveness signal a user can watch with `fluxs event sub heartbeat`.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// Publishes a periodic heartbeat event.
public final class HeartbeatModule: BrokerModule {
    public static let name = "heartbeat"
    public static let services = ["heartbeat"]
    public static func loadsByDefault(rank: UInt32) -> Bool { rank == 0 }

    private let context: ModuleContext
    private var timer: TimerWatcher?
    private var pulses = 0
    private var period = 2.0

    public init(context: ModuleContext) { self.context = context }

    public func start() throws(ServiceError) {
        if let text = context.attribute("heartbeat.period") {
            guard let value = try? FluxDuration.parse(text), value > 0, value.isFinite else {
                throw ServiceError(EINVAL, "heartbeat.period \"\(text)\" is not a positive duration")
            }
            period = value
        }
        arm()
    }

    public func stop() {
        timer?.cancel()
        timer = nil
    }

    public var handlers: [ServiceHandler] {
        [
            ServiceHandler(.heartbeat.get) { [unowned self] request, _ in
                self.context.respond(to: request, ["period": .double(self.period), "pulses": .int(Int64(self.pulses))])
            },
        ]
    }

    public func stats() -> [String: JSONValue] { ["period": .double(period), "pulses": .int(Int64(pulses))] }

    public func attributeChanged(_ name: String) {
        guard name == "heartbeat.period", let text = context.attribute(name),
            let value = try? FluxDuration.parse(text), value > 0, value.isFinite
        else { return }
        period = value
        timer?.cancel()
        arm()
    }

    private func arm() {
        timer = context.reactor.every(period) { [unowned self] in
            self.pulses += 1
            self.context.publish(.heartbeatPulse, ["count": .int(Int64(self.pulses))])
        }
    }
}
