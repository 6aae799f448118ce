#!/usr/bin/env python3
"""A raw client of the fluxs local socket, for tests that must misbehave or look at
the wire: it speaks the frame format of man/man7/fluxs-protocol.7 directly.

  fluxs-raw.py rpc [--rank N] TOPIC [JSON]
                                     send a request (to rank N), print the response
                                     payload (or "errnum N: text" on stderr, exit 1)
  fluxs-raw.py garbage|truncated|oversized|badversion
                                     send a bad frame; exit 0 if the broker then
                                     closes this connection
  fluxs-raw.py provide SERVICE COUNT|hang
                                     register SERVICE and answer COUNT requests
                                     (echoing the payload), or hold them forever
  fluxs-raw.py raw-event TOPIC       send a bare event message (brokers refuse it)
  fluxs-raw.py forge ROUTE           send a response nobody asked for, routed to ROUTE
                                     (the broker must drop it); then ping
  fluxs-raw.py deep-route SERVICE    send a request already carrying 255 route hops
                                     to SERVICE; print the answer
"""
import json
import os
import socket
import struct
import sys

HEADER = struct.Struct("<IBBBBIIIIIH")  # length, version, type, flags, nroute, nodeid, matchtag, userid, rolemask, aux, topiclen
REQUEST, RESPONSE, EVENT = 1, 2, 4
ANY = 0xFFFFFFFF


def connect():
    uri = os.environ["FLUXS_URI"]
    assert uri.startswith("local://"), uri
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(uri[len("local://"):])
    return s


def encode(mtype, topic, payload=b"", matchtag=0, flags=0, route=(), aux=0, nodeid=ANY):
    t = topic.encode()
    body_routes = b"".join(bytes([len(r)]) + r.encode() for r in route)
    length = HEADER.size - 4 + len(t) + len(body_routes) + len(payload)
    return HEADER.pack(length, 1, mtype, flags, len(route), nodeid, matchtag, 0, 0, aux, len(t)) + t + body_routes + payload


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def receive(s):
    head = recv_exact(s, HEADER.size)
    if head is None:
        return None
    (length, _v, mtype, flags, nroute, nodeid, matchtag, userid, rolemask, aux, tlen) = HEADER.unpack(head)
    rest = recv_exact(s, length - (HEADER.size - 4))
    topic = rest[:tlen].decode()
    off = tlen
    route = []
    for _ in range(nroute):
        n = rest[off]
        route.append(rest[off + 1:off + 1 + n].decode())
        off += 1 + n
    return dict(type=mtype, flags=flags, topic=topic, matchtag=matchtag, aux=aux, route=route,
                payload=rest[off:], userid=userid, rolemask=rolemask, nodeid=nodeid)


def rpc(s, topic, payload=b"{}", matchtag=1, nodeid=ANY):
    s.sendall(encode(REQUEST, topic, payload, matchtag=matchtag, nodeid=nodeid))
    while True:
        m = receive(s)
        if m is None:
            sys.exit("connection closed")
        if m["type"] == RESPONSE and m["matchtag"] == matchtag:
            return m


def expect_closed(s):
    s.settimeout(10)
    try:
        while True:
            if not s.recv(65536):
                return 0
    except (ConnectionResetError, BrokenPipeError):
        return 0
    except socket.timeout:
        print("the broker kept the connection open", file=sys.stderr)
        return 1


def main(argv):
    cmd = argv[1]
    s = connect()
    if cmd == "rpc":
        args = argv[2:]
        nodeid = ANY
        if args[0] == "--rank":
            nodeid = int(args[1])
            args = args[2:]
        payload = args[1].encode() if len(args) > 1 else b"{}"
        m = rpc(s, args[0], payload, nodeid=nodeid)
        if m["aux"]:
            errnum = struct.unpack("<i", struct.pack("<I", m["aux"]))[0]
            print("errnum %d: %s" % (errnum, m["payload"].decode()), file=sys.stderr)
            return 1
        print(m["payload"].decode())
        return 0
    if cmd == "garbage":
        s.sendall(b"\x10\x00\x00\x00" + os.urandom(16))
        return expect_closed(s)
    if cmd == "badversion":
        frame = bytearray(encode(REQUEST, "broker.ping", b"{}"))
        frame[4] = 99
        s.sendall(bytes(frame))
        return expect_closed(s)
    if cmd == "oversized":
        s.sendall(struct.pack("<I", 0x7FFFFFFF) + b"x" * 64)
        return expect_closed(s)
    if cmd == "truncated":
        frame = encode(REQUEST, "broker.ping", b"{}", matchtag=1)
        s.sendall(frame[:-3])
        s.shutdown(socket.SHUT_WR)
        return expect_closed(s)
    if cmd == "raw-event":
        s.sendall(encode(EVENT, argv[2], b"{}"))
        m = rpc(s, "broker.ping")
        return 0 if m["aux"] == 0 else 1
    if cmd == "forge":
        s.sendall(encode(RESPONSE, "broker.ping", b'{"forged":true}', matchtag=1, route=[argv[2]]))
        m = rpc(s, "broker.ping", matchtag=2)
        return 0 if m["aux"] == 0 else 1
    if cmd == "deep-route":
        s.sendall(encode(REQUEST, argv[2] + ".x", b"{}", matchtag=3, route=["r"] * 255))
        while True:
            m = receive(s)
            if m is None:
                return 1
            if m["type"] == RESPONSE and m["matchtag"] == 3:
                print(m["payload"].decode())
                return 0
    if cmd == "provide":
        service, count = argv[2], argv[3]
        m = rpc(s, "service.add", json.dumps({"service": service}).encode())
        if m["aux"]:
            print("service.add failed: %s" % m["payload"].decode(), file=sys.stderr)
            return 1
        print("ready", flush=True)
        answered = 0
        while count == "hang" or answered < int(count):
            m = receive(s)
            if m is None:
                return 1
            if m["type"] != REQUEST:
                continue
            if count == "hang":
                continue
            s.sendall(encode(RESPONSE, m["topic"], m["payload"], matchtag=m["matchtag"], route=m["route"]))
            answered += 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
