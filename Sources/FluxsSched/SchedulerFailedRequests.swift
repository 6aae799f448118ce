// The requests that could not be allocated in the current pass. Within one pass resources
// only get scarcer (jobs start, reservations are booked), so a request that failed fails
// again, and so does any request it is contained in: same shape (slot size, slots per node,
// exclusivity, constraint), at least as many slots or nodes, at least as long. Checking that
// first spares the graph most of the attempts a pass over a long queue would make.
// This assumes the match policy finds a placement whenever one exists, which first-fit,
// best-fit and high-id searches over free resources do.
import FluxsFormats

/// Requests known not to fit now, in the current pass.
struct FailedRequests {
    /// What two requests must share for one to contain the other.
    private struct Shape: Hashable {
        var nodeLevel: Bool
        var slotsPerNode: Int
        var coresPerSlot: Int
        var gpusPerSlot: Int
        var exclusive: Bool
        var constraint: JobConstraint?

        init(_ request: ResourceRequest) {
            nodeLevel = request.nnodes != nil
            slotsPerNode = request.nnodes.map { $0 > 0 ? request.nslots / $0 : 0 } ?? 0
            coresPerSlot = request.coresPerSlot
            gpusPerSlot = request.gpusPerSlot
            exclusive = request.exclusive
            constraint = request.constraint
        }
    }

    /// How big a request is within its shape: nodes with a node level, else slots.
    private struct Size {
        var count: Int
        var duration: Double

        init(_ request: ResourceRequest) {
            count = request.nnodes ?? request.nslots
            duration = request.duration
        }

        func covers(_ other: Size) -> Bool { count >= other.count && duration >= other.duration }
    }

    /// For each shape, the smallest failed sizes (none covers another).
    private var failed: [Shape: [Size]] = [:]

    /// True when `request` is known not to fit.
    func excludes(_ request: ResourceRequest) -> Bool {
        guard let sizes = failed[Shape(request)] else { return false }
        let size = Size(request)
        return sizes.contains { size.covers($0) }
    }

    /// Records that `request` did not fit.
    mutating func insert(_ request: ResourceRequest) {
        let size = Size(request)
        failed[Shape(request), default: []].removeAll { $0.covers(size) }
        failed[Shape(request), default: []].append(size)
    }
}
