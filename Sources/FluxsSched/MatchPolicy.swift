// How the matcher chooses among nodes that could all satisfy a request. The names follow
// Fluxion's match-policy values in spirit (its "low"/"first", "high", node-exclusive
// "lonodex"/"hinodex", "locality"), not its implementation:
//   first     lowest ranks first, lowest core and gpu ids within a node;
//   best      nodes with the fewest free cores that still fit first (fills fragments and
//             keeps idle nodes idle for larger jobs), ties to the lowest rank;
//   high      highest ranks first, highest core and gpu ids within a node;
//   *-exclusive  the same order, but every node used is given whole to the job (as if
//             the request were exclusive), so jobs never share a node;
//   locality  multi-node requests get consecutive ranks when such a run exists (else
//             first); slot requests go to as few nodes as possible: the tightest single
//             node that holds them all, else the nodes with the most room first.

/// The order in which the matcher tries nodes and ids.
public enum MatchPolicy: String, Sendable, CaseIterable {
    /// Lowest ranks and ids first.
    case firstFit = "first"
    /// Tightest node first (fewest free cores that still fit).
    case bestFit = "best"
    /// Highest ranks and ids first.
    case highID = "high"
    /// As `firstFit`, giving whole nodes.
    case firstFitExclusive = "first-exclusive"
    /// As `bestFit`, giving whole nodes.
    case bestFitExclusive = "best-exclusive"
    /// As `highID`, giving whole nodes.
    case highIDExclusive = "high-exclusive"
    /// Consecutive ranks for node requests, fewest nodes for slot requests.
    case locality

    /// True when the policy gives every node used whole to one job.
    public var isNodeExclusive: Bool {
        switch self {
        case .firstFitExclusive, .bestFitExclusive, .highIDExclusive: true
        default: false
        }
    }

    /// The node order, without the exclusivity.
    var order: NodeOrder {
        switch self {
        case .firstFit, .firstFitExclusive: .first
        case .bestFit, .bestFitExclusive: .best
        case .highID, .highIDExclusive: .high
        case .locality: .locality
        }
    }
}

/// The node order of a policy.
enum NodeOrder {
    case first, best, high, locality
}
