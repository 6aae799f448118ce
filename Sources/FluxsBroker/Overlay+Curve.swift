// CURVE on the overlay, in one of two ways. A system instance's [bootstrap] curve_cert:
// every broker holds the same certificate, shows it to its parent and admits children
// that show it. An instance bootstrapped by a process manager (PMI: fluxs start,
// mpiexec, a parent instance's shell): every broker makes a certificate of its own at
// start and publishes its public key with its URI in its business card; it expects its
// parent's key and admits only its children's (tbon.curve=off turns this off). Either
// way a broker's socket for its children is a CURVE server with its secret key, its
// socket to its parent a CURVE client, and a ZAP handler on each broker admits only the
// keys it expects: anyone else's handshake fails, and it is logged.
import CZMQ
import FluxsFormats
import FluxsMessage
import FluxsReactor
import FluxsReactorZMQ

/// The keys of a broker's CURVE: its own certificate, the public key its parent shows,
/// and the public keys of the children it admits (decoded, 32 bytes each).
public struct CurveKeys {
    var own: CurveCertificate
    var parent: String
    var children: Set<[UInt8]>

    /// The keys of a certificate every broker shares.
    init(shared cert: CurveCertificate) {
        own = cert
        parent = cert.publicKey
        children = [Self.decode(cert.publicKey)]
    }

    /// A broker's own new keys (its parent's and children's come from their cards).
    init(own cert: CurveCertificate) {
        own = cert
        parent = ""
        children = []
    }

    /// A Z85 key's 32 bytes.
    static func decode(_ key: String) -> [UInt8] {
        var decoded = [UInt8](repeating: 0, count: 32)
        zmq_z85_decode(&decoded, key)
        return decoded
    }

    /// A new key pair from libzmq (libsodium's random numbers).
    public static func newCertificate(name: String) throws(ServiceError) -> CurveCertificate {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw ServiceError(ENOTSUP, "this libzmq cannot make CURVE keys (built without libsodium?)")
        }
        let text = { (key: [CChar]) in String(decoding: key.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        do { return try CurveCertificate(publicKey: text(publicKey), secretKey: text(secretKey), name: name) } catch {
            throw ServiceError(EPROTO, "libzmq made a bad key: \(error.message)")
        }
    }
}

/// A broker's business card when brokers have keys of their own: its overlay URI
/// (empty for a leaf) and its CURVE public key, as compact JSON.
struct OverlayCard {
    var uri: String
    var publicKey: String?

    var text: String {
        var object: [String: JSONValue] = ["uri": .string(uri)]
        if let publicKey { object["pubkey"] = .string(publicKey) }
        return JSONValue.object(object).compactText
    }

    /// A card as published: JSON with the key, or a bare URI (a configured bootstrap).
    init(parsing text: String) {
        if text.hasPrefix("{"), let json = try? JSONValue(parsing: Array(text.utf8)), let uri = json["uri"]?.stringValue {
            self.uri = uri
            publicKey = json["pubkey"]?.stringValue
        } else {
            uri = text
            publicKey = nil
        }
    }

    init(uri: String, publicKey: String?) {
        self.uri = uri
        self.publicKey = publicKey
    }
}

extension Overlay {
    /// Makes `socket` a CURVE server with this broker's secret key.
    func makeCurveServer(_ socket: UnsafeMutableRawPointer, _ keys: CurveKeys) throws(ServiceError) {
        try startZAP()
        setOption(socket, ZMQ_CURVE_SERVER, 1)
        try setText(socket, ZMQ_CURVE_SECRETKEY, keys.own.secretKey)
        try setText(socket, ZMQ_ZAP_DOMAIN, "fluxs")
    }

    /// Makes `socket` a CURVE client of the parent's key, showing this broker's.
    func makeCurveClient(_ socket: UnsafeMutableRawPointer, _ keys: CurveKeys) throws(ServiceError) {
        try setText(socket, ZMQ_CURVE_SERVERKEY, keys.parent)
        try setText(socket, ZMQ_CURVE_PUBLICKEY, keys.own.publicKey)
        try setText(socket, ZMQ_CURVE_SECRETKEY, keys.own.secretKey)
    }

    private func setText(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ text: String) throws(ServiceError) {
        var bytes = Array(text.utf8)
        guard zmq_setsockopt(socket, option, &bytes, bytes.count) == 0 else { throw zmqError("zmq_setsockopt CURVE") }
    }

    /// Serves ZAP (RFC 27 of ZeroMQ) for this context: admits CURVE clients whose key
    /// is one of `curveKeys.children` at the time they connect.
    private func startZAP() throws(ServiceError) {
        guard zap == nil else { return }
        guard let socket = zmq_socket(context, ZMQ_REP) else { throw zmqError("zmq_socket ZAP") }
        guard zmq_bind(socket, "inproc://zeromq.zap.01") == 0 else { throw zmqError("cannot bind the ZAP handler") }
        zap = socket
        do {
            zapWatcher = try broker.reactor.watch(zmqSocket: socket) { [unowned self] in self.answerZAP(socket) }
        } catch {
            throw ServiceError(error.errnum, error.description)
        }
    }

    private func answerZAP(_ socket: UnsafeMutableRawPointer) {
        var frames: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            guard zmq_msg_recv(&msg, socket, ZMQ_DONTWAIT) >= 0 else {
                zmq_msg_close(&msg)
                return
            }
            let size = zmq_msg_size(&msg)
            let data = zmq_msg_data(&msg).map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            frames.append(data)
            let more = zmq_msg_more(&msg) != 0
            zmq_msg_close(&msg)
            if !more { break }
        }
        // version, request id, domain, address, identity, mechanism, credentials...
        guard frames.count >= 6 else { return }
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        let ok = mechanism == "CURVE" && frames.count >= 7 && curveKeys?.children.contains(frames[6]) == true
        if !ok {
            let address = String(decoding: frames[3], as: UTF8.self)
            broker.log(.err, "overlay: refused a \(mechanism) connection from \(address): not a key of this instance's brokers")
        }
        let reply: [[UInt8]] = [Array("1.0".utf8), frames[1], Array((ok ? "200" : "400").utf8),
                                Array((ok ? "OK" : "unknown key").utf8), Array((ok ? "fluxs" : "").utf8), []]
        for (index, frame) in reply.enumerated() {
            var bytes = frame
            _ = zmq_send(socket, &bytes, bytes.count, index < reply.count - 1 ? ZMQ_SNDMORE : 0)
        }
    }
}
