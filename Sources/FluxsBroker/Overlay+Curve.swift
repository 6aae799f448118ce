// CURVE on the overlay (a system instance's [bootstrap] curve_cert): every broker holds
// the same certificate. A broker's socket for its children is a CURVE server with the
// certificate's secret key; its socket to its parent a CURVE client that expects the
// certificate's public key as the server's and shows it as its own. A ZAP handler on
// each broker admits only clients that show that public key, so a broker without the
// certificate (or with another one) cannot join: its handshake fails, and it is logged.
import CZMQ
import FluxsFormats
import FluxsMessage
import FluxsReactor
import FluxsReactorZMQ

extension Overlay {
    /// Makes `socket` the CURVE server of the certificate.
    func makeCurveServer(_ socket: UnsafeMutableRawPointer, _ cert: CurveCertificate) throws(ServiceError) {
        try startZAP(cert)
        setOption(socket, ZMQ_CURVE_SERVER, 1)
        try setText(socket, ZMQ_CURVE_SECRETKEY, cert.secretKey)
        try setText(socket, ZMQ_ZAP_DOMAIN, "fluxs")
    }

    /// Makes `socket` a CURVE client of the certificate.
    func makeCurveClient(_ socket: UnsafeMutableRawPointer, _ cert: CurveCertificate) throws(ServiceError) {
        try setText(socket, ZMQ_CURVE_SERVERKEY, cert.publicKey)
        try setText(socket, ZMQ_CURVE_PUBLICKEY, cert.publicKey)
        try setText(socket, ZMQ_CURVE_SECRETKEY, cert.secretKey)
    }

    private func setText(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ text: String) throws(ServiceError) {
        var bytes = Array(text.utf8)
        guard zmq_setsockopt(socket, option, &bytes, bytes.count) == 0 else { throw zmqError("zmq_setsockopt CURVE") }
    }

    /// Serves ZAP (RFC 27 of ZeroMQ) for this context: admits CURVE clients whose key
    /// is the certificate's.
    private func startZAP(_ cert: CurveCertificate) throws(ServiceError) {
        guard zap == nil else { return }
        guard let socket = zmq_socket(context, ZMQ_REP) else { throw zmqError("zmq_socket ZAP") }
        guard zmq_bind(socket, "inproc://zeromq.zap.01") == 0 else { throw zmqError("cannot bind the ZAP handler") }
        zap = socket
        var decoded = [UInt8](repeating: 0, count: 32)
        zmq_z85_decode(&decoded, cert.publicKey)
        let allowed = decoded
        do {
            zapWatcher = try broker.reactor.watch(zmqSocket: socket) { [unowned self] in self.answerZAP(socket, allowed) }
        } catch {
            throw ServiceError(error.errnum, error.description)
        }
    }

    private func answerZAP(_ socket: UnsafeMutableRawPointer, _ allowed: [UInt8]) {
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
        let ok = mechanism == "CURVE" && frames.count >= 7 && frames[6] == allowed
        if !ok {
            let address = String(decoding: frames[3], as: UTF8.self)
            broker.log(.err, "overlay: refused a \(mechanism) connection from \(address): not this instance's certificate")
        }
        let reply: [[UInt8]] = [Array("1.0".utf8), frames[1], Array((ok ? "200" : "400").utf8),
                                Array((ok ? "OK" : "unknown key").utf8), Array((ok ? "fluxs" : "").utf8), []]
        for (index, frame) in reply.enumerated() {
            var bytes = frame
            _ = zmq_send(socket, &bytes, bytes.count, index < reply.count - 1 ? ZMQ_SNDMORE : 0)
        }
    }
}
