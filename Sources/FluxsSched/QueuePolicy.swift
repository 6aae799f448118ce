// The queue policies of Fluxion's qmanager: how far the scheduler looks past the first job
// that cannot start now. Every policy starts jobs in queue order while they fit; they
// differ in what happens to the jobs behind a blocked one:
//   fcfs          nothing starts behind it;
//   easy          the first blocked job gets a reservation, later jobs backfill around it;
//   hybrid(d)     the first d blocked jobs get reservations;
//   conservative  every blocked job (within the queue depth) gets a reservation.
// Backfill never delays a reservation: reservations are booked in the ResourceGraph, so a
// later job can only take resources that are not booked when it would still be running.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// How the scheduler treats jobs queued behind one that cannot start now.
public enum QueuePolicy: Sendable, Hashable, CustomStringConvertible {
    /// First come, first served: nothing starts behind a blocked job.
    case fcfs
    /// EASY backfilling: one reservation, for the first blocked job.
    case easy
    /// Reservations for the first `reservationDepth` blocked jobs.
    case hybrid(reservationDepth: Int)
    /// A reservation for every blocked job considered.
    case conservative

    /// How many blocked jobs get a reservation in one pass (`Int.max` for conservative).
    public var reservationDepth: Int {
        switch self {
        case .fcfs: 0
        case .easy: 1
        case .hybrid(let depth): max(depth, 0)
        case .conservative: Int.max
        }
    }

    /// The policy's name as the simulator and configuration spell it: `fcfs`, `easy`,
    /// `hybrid:N`, `conservative`.
    public var description: String {
        switch self {
        case .fcfs: "fcfs"
        case .easy: "easy"
        case .hybrid(let depth): "hybrid:\(depth)"
        case .conservative: "conservative"
        }
    }

    /// Reads a policy name as `description` writes it; a bare `hybrid` means a depth of 2.
    public init(parsing text: String) throws(ServiceError) {
        switch text {
        case "fcfs": self = .fcfs
        case "easy": self = .easy
        case "conservative": self = .conservative
        case "hybrid": self = .hybrid(reservationDepth: QueuePolicy.defaultHybridDepth)
        default:
            guard text.hasPrefix("hybrid:"), let depth = Int(text.dropFirst("hybrid:".count)), depth >= 0 else {
                throw ServiceError(EINVAL, "queue policy \"\(text)\": expected fcfs, easy, hybrid:N or conservative")
            }
            self = .hybrid(reservationDepth: depth)
        }
    }

    /// The reservation depth of a `hybrid` policy given without one.
    public static let defaultHybridDepth = 2
}
