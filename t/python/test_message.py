"""fluxs.core.message: frames encoded and decoded (pure code, no instance)."""

import struct

import pytest

from fluxs.constants import FLUX_MSGTYPE_EVENT, FLUX_MSGTYPE_REQUEST, FLUX_MSGTYPE_RESPONSE, FLUX_NODEID_ANY
from fluxs.core.message import Decoder, Message, ProtocolError, encode


def test_round_trip():
    msg = Message(FLUX_MSGTYPE_REQUEST, "kvs.get", b'{"key":"a"}', flags=1, nodeid=3, matchtag=77, route=["L1", "0"])
    decoder = Decoder()
    decoder.feed(msg.encode())
    (back,) = decoder.messages()
    assert (back.type, back.topic, back.payload, back.flags, back.nodeid, back.matchtag, back.route) == (
        FLUX_MSGTYPE_REQUEST,
        "kvs.get",
        b'{"key":"a"}',
        1,
        3,
        77,
        ["L1", "0"],
    )
    assert back.get_payload() == {"key": "a"} and back.payload_json == {"key": "a"}
    assert "kvs.get" in repr(back)


def test_byte_at_a_time():
    frames = b"".join(
        encode(kind, topic, payload, matchtag=i, aux=aux)
        for i, (kind, topic, payload, aux) in enumerate(
            [
                (FLUX_MSGTYPE_RESPONSE, "a.b", b"", 2),
                (FLUX_MSGTYPE_EVENT, "ev.ent", "é".encode(), 0),
                (FLUX_MSGTYPE_RESPONSE, "c.d", b"x" * 70000, 0),
            ]
        )
    )
    decoder = Decoder()
    got = []
    for i in range(len(frames)):
        decoder.feed(frames[i : i + 1])
        got.extend(decoder.messages())
    assert [(m.topic, m.matchtag) for m in got] == [("a.b", 0), ("ev.ent", 1), ("c.d", 2)]
    assert got[0].errnum == 2 and got[1].errnum == 0  # errnum: of responses only
    assert got[1].payload_str == "é" and len(got[2].payload) == 70000
    assert got[0].nodeid == FLUX_NODEID_ANY
    assert decoder.messages() == []


def test_bad_frame():
    decoder = Decoder()
    frame = bytearray(encode(FLUX_MSGTYPE_REQUEST, "a.b"))
    frame[4] = 9  # the version
    decoder.feed(bytes(frame))
    with pytest.raises(ProtocolError):
        decoder.messages()
    decoder = Decoder()
    decoder.feed(struct.pack("<I", 3) + b"\x01" * 40)  # shorter than a header
    with pytest.raises(ProtocolError):
        decoder.messages()
