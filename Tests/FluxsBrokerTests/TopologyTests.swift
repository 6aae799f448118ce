// TBON shapes: parents, children, levels and routing toward descendants.
import FluxsBroker
import FluxsMessage
import Testing

struct TopologyTests {
    @Test func binaryTreeOfSixteen() {
        let t = Topology(size: 16, fanout: 2)
        #expect(t.parent(of: 0) == nil)
        #expect(t.parent(of: 1) == 0 && t.parent(of: 2) == 0)
        #expect(t.parent(of: 15) == 7)
        #expect(t.children(of: 0) == [1, 2])
        #expect(t.children(of: 7) == [15])
        #expect(t.children(of: 8) == [])
        #expect(t.level(of: 0) == 0 && t.level(of: 3) == 2 && t.level(of: 7) == 3 && t.level(of: 15) == 4)
        #expect(t.maxLevel == 4)
        #expect(t.descendantCount(of: 0) == 15)
        #expect(t.descendantCount(of: 1) == 7)
        #expect(t.descendants(of: 3) == [7, 8, 15])
    }

    @Test func routingTowardDescendants() {
        let t = Topology(size: 16, fanout: 2)
        #expect(t.childToward(15, from: 0) == 1)
        #expect(t.childToward(15, from: 1) == 3)
        #expect(t.childToward(15, from: 3) == 7)
        #expect(t.childToward(15, from: 7) == 15)
        #expect(t.childToward(15, from: 2) == nil)
        #expect(t.childToward(0, from: 1) == nil)
        #expect(t.childToward(3, from: 3) == nil)
        #expect(t.isInSubtree(15, of: 1) && !t.isInSubtree(15, of: 2) && t.isInSubtree(4, of: 4))
    }

    @Test func flatAndDefault() throws {
        let flat = try Topology(size: 5, spec: "kary:0")
        #expect(flat.children(of: 0) == [1, 2, 3, 4])
        #expect(flat.parent(of: 4) == 0)
        #expect(flat.maxLevel == 1)
        let wide = try Topology(size: 64, spec: "kary:32")
        #expect(wide.children(of: 0).count == 32)
        #expect(wide.parent(of: 33) == 1)
        #expect(wide.maxLevel == 2)
        #expect(Topology(size: 1, fanout: 2).children(of: 0) == [])
    }

    @Test(arguments: ["kary", "kary:x", "binomial", "kary:-1"])
    func badSpecsAreRefused(_ spec: String) {
        #expect(throws: ServiceError(22, "tbon.topo \"\(spec)\": expected kary:K (K = 0 for flat)")) {
            _ = try Topology(size: 4, spec: spec)
        }
    }
}
