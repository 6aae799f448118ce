// A neighbour in the tree (the parent, or one child) as a routing endpoint: its
// identity on route stacks is its rank, and delivering to it sends over ZeroMQ.
import FluxsMessage

/// The parent or a child broker, seen from this broker's router.
final class OverlayPeer: Endpoint {
    let id: String
    let rank: UInt32
    unowned let overlay: Overlay

    init(overlay: Overlay, rank: UInt32) {
        self.overlay = overlay
        self.rank = rank
        self.id = String(rank)
    }

    func deliver(_ message: Message) {
        overlay.send(message, to: rank)
    }
}

/// How a neighbour stands, as `fluxs overlay status` shows it.
public enum PeerState: String, Sendable {
    /// Never connected, or left in an orderly shutdown.
    case offline
    /// Connected and answering keepalives.
    case online
    /// Vanished without a goodbye (killed, or its node died).
    case lost
}
