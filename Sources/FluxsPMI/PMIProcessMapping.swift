// The PMI_process_mapping value (RFC 13): which ranks share a node, as a vector of
// blocks `(nodeid,nnodes,ppn)`, each block giving `ppn` consecutive ranks to each of
// `nnodes` nodes from `nodeid` on. MPICH groups ranks for shared memory by it, so it must
// group only ranks that really share a node.
//
// The encoder walks the ranks in order, run-length encodes their node ids, then merges
// runs of equal length on consecutive nodes into one block: [[0,1],[2,3]] gives
// `(vector,(0,2,2))`, the cyclic [[0,2],[1,3]] gives `(vector,(0,2,1),(0,2,1))`, and one
// node of N ranks gives `(vector,(0,1,N))`.

/// Encoder of node layouts into PMI_process_mapping values.
public enum PMIProcessMapping {
    /// The mapping for a layout given as the ranks on each node (node ids are the array
    /// indices). Every rank of 0..<size must appear exactly once.
    public static func encode(nodeLayout: [[Int]]) throws(PMIError) -> String {
        let size = nodeLayout.reduce(0) { $0 + $1.count }
        var nodeOfRank = [Int](repeating: -1, count: size)
        for (node, ranks) in nodeLayout.enumerated() {
            for rank in ranks {
                guard rank >= 0 && rank < size else {
                    throw PMIError("node layout: rank \(rank) is outside 0..<\(size)")
                }
                guard nodeOfRank[rank] < 0 else {
                    throw PMIError("node layout: rank \(rank) is on two nodes")
                }
                nodeOfRank[rank] = node
            }
        }
        return encode(nodeOfRank: nodeOfRank)
    }

    /// The mapping for the node id of each rank in rank order.
    public static func encode(nodeOfRank: [Int]) -> String {
        // Runs of consecutive ranks on one node: (node, count).
        var runs: [(node: Int, count: Int)] = []
        for node in nodeOfRank {
            if let last = runs.last, last.node == node {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((node, 1))
            }
        }
        // Blocks: runs of equal count on consecutive nodes.
        var blocks: [(node: Int, nodes: Int, ppn: Int)] = []
        for run in runs {
            if let last = blocks.last, last.ppn == run.count, last.node + last.nodes == run.node {
                blocks[blocks.count - 1].nodes += 1
            } else {
                blocks.append((run.node, 1, run.count))
            }
        }
        let text = blocks.map { "(\($0.node),\($0.nodes),\($0.ppn))" }.joined(separator: ",")
        return "(vector," + text + ")"
    }
}
