"""Futures of RPCs: the response (or responses, for a streaming request) of one
request, with flux-core's ``flux.future.Future`` names: ``get``, ``then``, ``reset``,
``is_ready``, ``wait_for``."""

import errno
import json
import os

from fluxs.constants import FLUX_MSGFLAG_NORESPONSE, FLUX_MSGFLAG_STREAMING

#: The requests that end a stream of these topics, given the stream's matchtag.
_STREAM_ENDERS = {
    "kvs.watch": "kvs.unwatch",
    "job-manager.events-journal": "job-manager.events-journal-cancel",
}


def error_from_response(msg):
    """The OSError a failed response stands for: its errno and the service's text
    (strerror's when the service gave none)."""
    text = msg.payload.decode("utf-8", "replace") if msg.payload else os.strerror(msg.aux)
    return OSError(msg.aux, text)


class Future:
    """The pending answer of one request sent with :py:meth:`fluxs.Flux.rpc`.

    ``get()`` waits for the response and returns its payload decoded from JSON (None
    for an empty payload), or raises ``OSError`` with the service's errno and message.
    For a streaming request each response is one fulfilment: ``get()`` returns the
    current one and ``reset()`` moves to the next; the stream ends with ``OSError``
    ENODATA. ``then(cb)`` calls ``cb(future, *args)`` for each response, on the thread
    that receives it (a thread running ``get()``, ``wait_for()`` or
    ``reactor_run()`` on the handle); a response not reset by the callback is consumed
    when it returns.
    """

    def __init__(self, handle, matchtag, topic, flags):
        self._handle = handle
        self.matchtag = matchtag
        self.topic = topic
        self.flags = flags
        self._responses = []
        self._callback = None
        self._done = False  # no more responses will come
        self.aux = {}

    @property
    def handle(self):
        """The :py:class:`fluxs.Flux` handle the request went through."""
        return self._handle

    @property
    def streaming(self):
        """Whether the request asked for a stream of responses."""
        return bool(self.flags & FLUX_MSGFLAG_STREAMING)

    # Called by the handle, on its receiving thread, with its condition held.
    def _deliver(self, msg):
        self._responses.append(msg)
        if not self.streaming or msg.aux != 0:
            self._done = True
        return self._callback is not None

    def _fail(self, error):
        self._responses.append(error)
        self._done = True
        return self._callback is not None

    def _run_callback(self):
        cb = self._callback
        if cb is None:
            return
        fn, args, kwargs = cb
        with self._handle._cond:
            pending = len(self._responses)
        for _ in range(pending):
            with self._handle._cond:
                if not self._responses:
                    break
                first = self._responses[0]
            try:
                fn(self, *args, **kwargs)
            finally:
                with self._handle._cond:
                    if self._responses and self._responses[0] is first:
                        self._responses.pop(0)
        if self._done and not self._responses:
            self._handle._forget(self)

    def is_ready(self):
        """Whether a response is waiting to be read."""
        with self._handle._cond:
            return bool(self._responses)

    def wait_for(self, timeout=None):
        """Waits up to ``timeout`` seconds (None: for ever) for a response; raises
        ``TimeoutError`` when none came, OSError ENODATA when none will (the future
        was canceled, or its last response was reset)."""
        if not self._handle._pump_until(lambda: bool(self._responses) or self._done, timeout):
            raise TimeoutError(errno.ETIMEDOUT, f"{self.topic}: no response in {timeout} s")
        with self._handle._cond:
            if not self._responses:
                raise OSError(errno.ENODATA, f"{self.topic}: no more responses")
        return self

    def get_msg(self, timeout=None):
        """The current response :py:class:`Message`, waiting for it; raises OSError on
        an error response."""
        self.wait_for(timeout)
        with self._handle._cond:
            first = self._responses[0]
        if isinstance(first, BaseException):
            raise first
        if first.aux != 0:
            raise error_from_response(first)
        return first

    def get_str(self, timeout=None):
        """The current response's payload as text."""
        return self.get_msg(timeout).payload.decode("utf-8")

    def get(self, timeout=None):
        """The current response's payload decoded from JSON (None when empty)."""
        payload = self.get_msg(timeout).payload
        return json.loads(payload) if payload else None

    def reset(self):
        """Drops the current response of a stream, so that ``get`` waits for the next."""
        with self._handle._cond:
            if self._responses:
                self._responses.pop(0)
            finished = self._done and not self._responses
        if finished:
            self._handle._forget(self)

    def then(self, callback, *args, **kwargs):
        """Calls ``callback(future, *args, **kwargs)`` for each response; returns self."""
        with self._handle._cond:
            self._callback = (callback, args, kwargs)
            ready = bool(self._responses)
            self._handle._active_callbacks.add(self)
        if ready:
            self._run_callback()
        return self

    def cancel(self, stop=True):
        """Stops caring about the responses: the handle drops them. For a KVS watch or
        the job manager's journal the service is asked to end the stream too."""
        ender = _STREAM_ENDERS.get(self.topic)
        if ender and stop and not self._done:
            try:
                self._handle.rpc(ender, {"matchtag": self.matchtag}, flags=FLUX_MSGFLAG_NORESPONSE)
            except OSError:
                pass  # the connection is gone, and the stream with it
        with self._handle._cond:
            self._done = True
            self._callback = None
        self._handle._forget(self)

