// The events services publish for one another, in one catalog as their methods are:
// a module publishes and subscribes by these names, never by a string of its own.
// (Clients publish and subscribe to any topic: fluxs event, flux.event_send.)

/// An event topic services use.
public struct EventTopic: Hashable, Sendable, CustomStringConvertible {
    /// The topic.
    public let topic: String

    public init(_ topic: String) { self.topic = topic }

    public var description: String { topic }

    /// A rank said hello to the resource service: {"ranks": IDSET}.
    public static let resourceUp = EventTopic("resource.up")
    /// Ranks were drained: {"ranks": IDSET, "reason": TEXT}.
    public static let resourceDrain = EventTopic("resource.drain")
    /// Ranks were undrained: {"ranks": IDSET, "reason"?: TEXT}.
    public static let resourceUndrain = EventTopic("resource.undrain")
    /// The overlay lost a broker and its subtree: {"rank": N, "ranks": IDSET}.
    public static let overlayLost = EventTopic("overlay.lost")
    /// The heartbeat: {"count": N}.
    public static let heartbeatPulse = EventTopic("heartbeat.pulse")
}
