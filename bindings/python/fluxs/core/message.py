"""The frames of the fluxs message protocol (fluxs-protocol(7), ENCODING): pure code,
no I/O.

A frame is a 4-byte little-endian length L and L bytes: version, type, flags, the
number of route entries, nodeid, matchtag, userid, rolemask, aux (the errno of a
response), the topic's length, the topic, the route and the payload.
"""

import json
import struct

from fluxs.constants import FLUX_MSGTYPE_RESPONSE, FLUX_NODEID_ANY

_HEADER = struct.Struct("<IBBBBIIIIIH")
_VERSION = 1
#: The size of the fixed header after the length field.
_FIXED = _HEADER.size - 4
#: The most a broker accepts by default (message.max-size).
MAX_FRAME = 64 << 20


class ProtocolError(Exception):
    """The broker sent a frame that does not decode: the stream is out of step."""


class Message:
    """One message: a request, a response or an event.

    ``payload`` is the raw bytes; ``payload_str`` the text and ``payload_json`` (also
    ``payload``'s decoded form through :py:meth:`get_payload`) its JSON.
    """

    __slots__ = (
        "type",
        "flags",
        "nodeid",
        "matchtag",
        "userid",
        "rolemask",
        "aux",
        "topic",
        "route",
        "payload",
    )

    def __init__(
        self,
        mtype,
        topic,
        payload=b"",
        flags=0,
        nodeid=FLUX_NODEID_ANY,
        matchtag=0,
        userid=0,
        rolemask=0,
        aux=0,
        route=(),
    ):
        self.type = mtype
        self.topic = topic
        self.payload = payload
        self.flags = flags
        self.nodeid = nodeid
        self.matchtag = matchtag
        self.userid = userid
        self.rolemask = rolemask
        self.aux = aux
        self.route = list(route)

    @property
    def errnum(self):
        """The errno of a response (0 for success)."""
        return self.aux if self.type == FLUX_MSGTYPE_RESPONSE else 0

    @property
    def payload_str(self):
        """The payload as text."""
        return self.payload.decode("utf-8", "replace")

    def get_payload(self):
        """The payload decoded from JSON, or None when it is empty."""
        return json.loads(self.payload) if self.payload else None

    #: flux-core's name.
    payload_json = property(get_payload)

    def encode(self):
        """The frame of this message, as bytes."""
        return encode(
            self.type,
            self.topic,
            self.payload,
            flags=self.flags,
            nodeid=self.nodeid,
            matchtag=self.matchtag,
            aux=self.aux,
            route=self.route,
        )

    def __repr__(self):
        return (
            f"Message(type={self.type}, topic={self.topic!r}, matchtag={self.matchtag}, "
            f"aux={self.aux}, payload={self.payload[:80]!r})"
        )


def encode(mtype, topic, payload=b"", flags=0, nodeid=FLUX_NODEID_ANY, matchtag=0, aux=0, route=()):
    """The frame of a message with these fields (userid and rolemask are 0: the
    broker stamps them)."""
    topic_bytes = topic.encode("utf-8")
    routes = b"".join(bytes([len(r)]) + r.encode("utf-8") for r in route) if route else b""
    length = _FIXED + len(topic_bytes) + len(routes) + len(payload)
    head = _HEADER.pack(length, _VERSION, mtype, flags, len(route), nodeid, matchtag, 0, 0, aux, len(topic_bytes))
    return b"".join((head, topic_bytes, routes, payload))


class Decoder:
    """Splits a byte stream into messages: ``feed`` bytes, then take what ``messages``
    returns (each call returns the whole messages received so far)."""

    def __init__(self):
        self._buffer = bytearray()

    def feed(self, data):
        """Adds bytes read from the stream."""
        self._buffer += data

    def messages(self):
        """The complete messages in the buffer, in order; raises ProtocolError on a
        frame that does not decode."""
        out = []
        buf = self._buffer
        offset = 0
        end = len(buf)
        unpack = _HEADER.unpack_from
        while end - offset >= _HEADER.size:
            length, version, mtype, flags, nroute, nodeid, matchtag, userid, rolemask, aux, tlen = unpack(buf, offset)
            if version != _VERSION or length < _FIXED or length > MAX_FRAME:
                raise ProtocolError("bad frame from the broker")
            if end - offset < 4 + length:
                break
            at = offset + _HEADER.size
            stop = offset + 4 + length
            if at + tlen > stop:
                raise ProtocolError("bad frame from the broker (topic)")
            topic = buf[at : at + tlen].decode("utf-8")
            at += tlen
            route = []
            for _ in range(nroute):
                if at >= stop:
                    raise ProtocolError("bad frame from the broker (route)")
                n = buf[at]
                route.append(buf[at + 1 : at + 1 + n].decode("utf-8"))
                at += 1 + n
            if at > stop:
                raise ProtocolError("bad frame from the broker (route)")
            msg = Message(mtype, topic, bytes(buf[at:stop]), flags, nodeid, matchtag, userid, rolemask, aux, route)
            out.append(msg)
            offset = stop
        if offset:
            del buf[:offset]
        return out
