"""Signed job requests, J (Flux RFC 39, see fluxs-security(7)).

A guest of a multi-user instance submits its jobspec signed: ``HEADER.PAYLOAD.SIGNATURE``
where HEADER is an RFC 38 key-value encoding of version, mechanism and userid, PAYLOAD
the jobspec's JSON text (both in standard base64), and SIGNATURE, for the ``munge``
mechanism, a MUNGE credential over the byte 0x01 and the SHA-256 of
``HEADER.PAYLOAD``. fluxs-imp checks it before it runs anything as the guest. The
``none`` mechanism (signature ``none``) is for the instance owner's own jobs.

``submit`` signs for a guest by itself; these functions are for tools that sign ahead
(``submit(..., pre_signed=True)``). munged is reached at ``socket``, else at
``FLUXS_MUNGE_SOCKET``, else at libmunge's default.
"""

import base64
import ctypes
import ctypes.util
import errno
import hashlib
import os

_MUNGE_OPT_SOCKET = 8
_libmunge = None


def _kv(pairs):
    out = b""
    for key, value in pairs:
        if isinstance(value, bool):
            text = b"b" + (b"true" if value else b"false")
        elif isinstance(value, int):
            text = b"i" + str(value).encode()
        else:
            text = b"s" + value.encode()
        out += key.encode() + b"\0" + text + b"\0"
    return out


def _signed_part(payload, userid, mechanism):
    header = _kv([("version", 1), ("mechanism", mechanism), ("userid", userid)])
    return base64.b64encode(header).decode() + "." + base64.b64encode(payload).decode()


def sign_none(payload, userid=None):
    """J of ``payload`` (bytes) with the none mechanism, claimed by ``userid``
    (default: this process's uid)."""
    return _signed_part(payload, os.getuid() if userid is None else userid, "none") + ".none"


def _munge():
    global _libmunge
    if _libmunge is None:
        name = ctypes.util.find_library("munge") or "libmunge.so.2"
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            raise OSError(errno.ENOSYS, f"cannot sign the job with MUNGE: libmunge is not installed ({exc})") from None
        lib.munge_ctx_create.restype = ctypes.c_void_p
        lib.munge_ctx_destroy.argtypes = [ctypes.c_void_p]
        lib.munge_ctx_strerror.restype = ctypes.c_char_p
        lib.munge_ctx_strerror.argtypes = [ctypes.c_void_p]
        lib.munge_encode.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        _libmunge = lib
    return _libmunge


def sign_munge(payload, socket=None):
    """J of ``payload`` (bytes) signed by this process's uid with MUNGE.

    :raises OSError: EPERM with libmunge's words when munged cannot be reached or
        refuses
    """
    signed = _signed_part(payload, os.getuid(), "munge")
    digest = b"\x01" + hashlib.sha256(signed.encode()).digest()
    lib = _munge()
    ctx = lib.munge_ctx_create()
    if not ctx:
        raise MemoryError("cannot make a MUNGE context")
    try:
        socket = socket or os.environ.get("FLUXS_MUNGE_SOCKET")
        if socket:
            lib.munge_ctx_set(ctypes.c_void_p(ctx), ctypes.c_int(_MUNGE_OPT_SOCKET), ctypes.c_char_p(socket.encode()))
        credential = ctypes.c_void_p()
        status = lib.munge_encode(ctypes.byref(credential), ctx, digest, len(digest))
        if status != 0 or not credential.value:
            words = lib.munge_ctx_strerror(ctx)
            words = words.decode() if words else f"MUNGE error {status}"
            raise OSError(errno.EPERM, f"cannot sign the job with MUNGE: {words}")
        try:
            return signed + "." + ctypes.string_at(credential.value).decode()
        finally:
            ctypes.CDLL(None).free(credential)
    finally:
        lib.munge_ctx_destroy(ctx)
