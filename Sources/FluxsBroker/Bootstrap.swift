// How a broker learns its rank, the instance size and where its parent listens.
// Pluggable: the singleton (a lone broker), PMI-1 (a process manager such as
// mpiexec.hydra, Slurm, `fluxs start --test-size`, or a parent instance's shell), and,
// later, config files. Each broker publishes a business card (its overlay URI) and
// reads the cards it needs (its parent's).
import FluxsMessage

/// A source of rank, size and peers' business cards.
public protocol Bootstrap: AnyObject {
    /// This broker's rank.
    var rank: UInt32 { get }
    /// The number of brokers in the instance.
    var size: UInt32 { get }
    /// Publishes `card` for this rank, waits until every rank has published, and
    /// returns the cards of `ranks`. Blocks; called once, at start.
    func exchange(card: String, wanting ranks: [UInt32]) throws(ServiceError) -> [UInt32: String]
    /// Whether the cards can carry each broker's own CURVE public key (a process
    /// manager's key-value space), so that brokers without a shared certificate encrypt
    /// the overlay with keys of their own.
    var exchangesKeys: Bool { get }
}

extension Bootstrap {
    public var exchangesKeys: Bool { false }
}

/// A broker alone: rank 0 of 1.
public final class SingletonBootstrap: Bootstrap {
    public let rank: UInt32 = 0
    public let size: UInt32 = 1
    public init() {}
    public func exchange(card: String, wanting ranks: [UInt32]) throws(ServiceError) -> [UInt32: String] { [:] }
}
