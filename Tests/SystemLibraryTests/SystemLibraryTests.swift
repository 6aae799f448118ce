// The system-library targets link and answer: later targets build on them.
import CHwloc
import CZMQ
import Testing

@Test func zeromqIsVersion4() {
    var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
    zmq_version(&major, &minor, &patch)
    #expect(major == 4)
    #expect(minor >= 3)
}

@Test func zeromqContextOpensAndCloses() throws {
    let context = try #require(zmq_ctx_new())
    let socket = try #require(zmq_socket(context, ZMQ_ROUTER))
    #expect(zmq_close(socket) == 0)
    #expect(zmq_ctx_term(context) == 0)
}

@Test func hwlocLoadsThisMachine() throws {
    #expect(hwloc_get_api_version() >> 16 >= 2)
    var topology: hwloc_topology_t?
    #expect(hwloc_topology_init(&topology) == 0)
    defer { hwloc_topology_destroy(topology) }
    #expect(hwloc_topology_load(topology) == 0)
    let cores = hwloc_get_nbobjs_by_depth(topology, hwloc_get_type_depth(topology, HWLOC_OBJ_CORE))
    #expect(cores >= 1)
}
