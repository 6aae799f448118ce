"""The connection to a fluxs broker: ``fluxs.Flux``, after flux-core's ``flux.Flux``."""

import errno
import heapq
import itertools
import json
import os
import select
import socket
import threading
import time

from fluxs.constants import (
    FLUX_MSGFLAG_NORESPONSE,
    FLUX_MSGTYPE_EVENT,
    FLUX_MSGTYPE_REQUEST,
    FLUX_MSGTYPE_RESPONSE,
    FLUX_NODEID_ANY,
)
from fluxs.core.future import Future
from fluxs.core.message import Decoder, Message, ProtocolError, encode


def _socket_path(url):
    if url is None:
        url = os.environ.get("FLUXS_URI", "")
        if not url:
            raise OSError(errno.ENOENT, "FLUXS_URI is not set: run inside a fluxs instance or give a URI")
    if not url.startswith("local://"):
        raise OSError(errno.EINVAL, f"{url}: only local:// URIs are supported")
    path = url[len("local://") :]
    if not path.startswith("/"):
        raise OSError(errno.EINVAL, f"{url}: the socket path must be absolute")
    return url, path


def _encode_payload(payload):
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


class TimerWatcher:
    """A timer of a handle's reactor: calls ``callback(handle, watcher, revents,
    args)`` after ``after`` seconds, then every ``repeat`` seconds when repeat > 0."""

    def __init__(self, handle, after, callback, repeat=0.0, args=None):
        self.handle = handle
        self.after = after
        self.repeat = repeat
        self.callback = callback
        self.args = args
        self._due = None

    def start(self):
        """Arms the timer; returns self."""
        self._due = time.monotonic() + self.after
        self.handle._add_timer(self)
        return self

    def stop(self):
        """Disarms the timer."""
        self._due = None
        self.handle._timers_changed = True


class Flux:
    """A connection to a fluxs instance.

    ``Flux()`` connects to the broker named by ``FLUXS_URI`` (``local://PATH``, see
    fluxs-protocol(7)); ``Flux(url)`` to another. One handle may be used from several
    threads: requests are sent under a lock, and whichever thread waits reads the
    socket for all of them.

    ``uri`` is another name of ``url``.

    :raises OSError: ENOENT when FLUXS_URI is unset, or the error of connecting.
    """

    def __init__(self, url=None, flags=0, uri=None):
        self.url, path = _socket_path(url if url is not None else uri)
        self.flags = flags
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(path)
        except OSError as exc:
            self._sock.close()
            raise OSError(exc.errno, f"cannot connect to {self.url}: {exc.strerror}") from None
        self._decoder = Decoder()
        self._send_lock = threading.Lock()
        self._cond = threading.Condition(threading.RLock())
        self._reading = False
        self._reader = None  # the thread whose turn it is to read
        self._matchtags = itertools.count(1)
        self._futures = {}
        self._active_callbacks = set()
        self._events = []
        self._event_watchers = []
        self._timers = []
        self._timers_changed = False
        self._timer_seq = itertools.count()
        self._stop = False
        self._broken = None
        self._closed = False
        self._guest = None

    # -- sending ---------------------------------------------------------------------

    def _send(self, frame):
        if self._broken is not None:
            raise OSError(self._broken.errno, self._broken.strerror)
        with self._send_lock:
            try:
                self._sock.sendall(frame)
            except OSError as exc:
                self._lose(OSError(errno.ECONNRESET, f"lost connection to the fluxs broker: {exc.strerror}"))
                raise OSError(errno.ECONNRESET, f"lost connection to the fluxs broker: {exc.strerror}") from None

    def is_guest(self):
        """True when this process's user is not the instance owner (asked of the
        broker once per handle): its jobs must be signed with MUNGE."""
        if self._guest is None:
            self._guest = self.rpc("broker.info").get().get("owner") != os.getuid()
        return self._guest

    def rpc(self, topic, payload=None, nodeid=FLUX_NODEID_ANY, flags=0):
        """Sends a request; returns its :py:class:`fluxs.core.future.Future`.

        :param topic: ``service.method``
        :param payload: a dict or list (sent as JSON), a str or bytes (sent as they
            are), or None (an empty payload)
        :param nodeid: a broker rank, FLUX_NODEID_ANY or FLUX_NODEID_UPSTREAM
        :param flags: FLUX_RPC_STREAMING for a stream of responses,
            FLUX_RPC_NORESPONSE for none (then None is returned)
        """
        body = _encode_payload(payload)
        if flags & FLUX_MSGFLAG_NORESPONSE:
            self._send(encode(FLUX_MSGTYPE_REQUEST, topic, body, flags=flags, nodeid=nodeid))
            return None
        matchtag = next(self._matchtags)
        if matchtag >= 0xFFFFFFFF:
            self._matchtags = itertools.count(1)
            matchtag = next(self._matchtags)
        future = Future(self, matchtag, topic, flags)
        with self._cond:
            self._futures[matchtag] = future
        try:
            self._send(encode(FLUX_MSGTYPE_REQUEST, topic, body, flags=flags, nodeid=nodeid, matchtag=matchtag))
        except OSError:
            with self._cond:
                self._futures.pop(matchtag, None)
            raise
        return future

    def send(self, msg):
        """Sends a :py:class:`fluxs.core.message.Message` as it is."""
        self._send(msg.encode())

    # -- receiving -------------------------------------------------------------------

    def _forget(self, future):
        with self._cond:
            if self._futures.get(future.matchtag) is future:
                del self._futures[future.matchtag]
            self._active_callbacks.discard(future)

    def _lose(self, error):
        with self._cond:
            if self._broken is not None:
                return
            self._broken = error
            futures = list(self._futures.values())
            self._futures.clear()
            ready = [f for f in futures if f._fail(error)]
            self._cond.notify_all()
        for f in ready:
            f._run_callback()

    def _dispatch(self, messages):
        ready = []
        watchers = []
        with self._cond:
            for msg in messages:
                if msg.type == FLUX_MSGTYPE_RESPONSE:
                    future = self._futures.get(msg.matchtag)
                    if future is None:
                        continue
                    if future._deliver(msg):
                        ready.append(future)
                    if future._done:
                        self._futures.pop(msg.matchtag, None)
                elif msg.type == FLUX_MSGTYPE_EVENT:
                    matched = [w for w in self._event_watchers if msg.topic.startswith(w[0])]
                    if matched:
                        watchers.extend((w, msg) for w in matched)
                    else:
                        self._events.append(msg)
            self._cond.notify_all()
        for future in dict.fromkeys(ready):
            future._run_callback()
        for (prefix, callback, args), msg in watchers:
            callback(self, msg, *args)

    def _read_once(self, timeout):
        """Reads what the socket holds, waiting up to ``timeout`` seconds (None: for
        ever) for something; dispatches it. Runs on one thread at a time."""
        if self._broken is not None:
            return
        try:
            readable, _, _ = select.select([self._sock], [], [], timeout)
            if not readable:
                return
            data = self._sock.recv(1 << 18)
        except (OSError, ValueError) as exc:
            if self._closed:
                return
            return self._lose(OSError(errno.ECONNRESET, f"lost connection to the fluxs broker: {exc}"))
        if not data:
            return self._lose(OSError(errno.ECONNRESET, "lost connection to the fluxs broker"))
        self._decoder.feed(data)
        try:
            messages = self._decoder.messages()
        except ProtocolError as exc:
            return self._lose(OSError(errno.EPROTO, str(exc)))
        if messages:
            self._dispatch(messages)

    def _pump_until(self, predicate, timeout=None):
        """Reads and dispatches until ``predicate()`` holds (checked with the condition
        held) or ``timeout`` passes; another thread already reading is waited for
        instead. Returns whether the predicate holds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        tried = False
        me = threading.get_ident()
        while True:
            with self._cond:
                if predicate():
                    return True
                if self._broken is not None:
                    return predicate()
                # A callback run by this thread's read waits for something: this thread
                # reads on (nobody else would while it holds the reading turn).
                nested = self._reading and self._reader == me
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    if tried or (self._reading and not nested):
                        return False
                    remaining = 0
                if self._reading and not nested:
                    self._cond.wait(remaining)
                    continue
                self._reading = True
                self._reader = me
            try:
                tried = True
                self._read_once(remaining)
            finally:
                if not nested:
                    with self._cond:
                        self._reading = False
                        self._reader = None
                        self._cond.notify_all()

    # -- the reactor -----------------------------------------------------------------

    def _add_timer(self, watcher):
        with self._cond:
            heapq.heappush(self._timers, (watcher._due, next(self._timer_seq), watcher))
            self._cond.notify_all()

    def timer_watcher_create(self, after, callback, repeat=0.0, args=None):
        """A :py:class:`TimerWatcher` of this handle's reactor (call ``start()``)."""
        return TimerWatcher(self, after, callback, repeat, args)

    def _run_timers(self):
        now = time.monotonic()
        due = []
        with self._cond:
            while self._timers and self._timers[0][0] <= now:
                when, _, watcher = heapq.heappop(self._timers)
                if watcher._due == when:
                    due.append(watcher)
        for watcher in due:
            if watcher.repeat > 0:
                watcher._due = now + watcher.repeat
                self._add_timer(watcher)
            else:
                watcher._due = None
            watcher.callback(self, watcher, 0, watcher.args)

    def _next_timer(self):
        with self._cond:
            while self._timers and self._timers[0][2]._due != self._timers[0][0]:
                heapq.heappop(self._timers)
            return self._timers[0][0] if self._timers else None

    def _has_work(self):
        return bool(self._active_callbacks or self._next_timer() is not None or self._event_watchers)

    def reactor_run(self, timeout=None):
        """Runs the reactor: receives responses and events, calls the callbacks of
        futures (``then``), of event watchers and of timers, until ``reactor_stop()``
        is called, nothing is left to wait for, or ``timeout`` seconds pass. Returns
        the number of callbacks still active (0 when it ran out of work)."""
        self._stop = False
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop and self._has_work():
            if self._broken is not None and not self._timers:
                raise OSError(self._broken.errno, self._broken.strerror)
            now = time.monotonic()
            wake = self._next_timer()
            limit = None if wake is None else max(wake - now, 0)
            if deadline is not None:
                if now >= deadline:
                    break
                limit = deadline - now if limit is None else min(limit, deadline - now)
            # Back as soon as the work is done, stop is asked or the timers change.
            self._pump_until(
                lambda wake=wake: self._stop or not self._has_work() or self._next_timer() != wake,
                limit if limit is not None else 0.5,
            )
            self._run_timers()
        return len(self._active_callbacks)

    def dispatch(self, timeout=0.0):
        """Reads what the broker sent, waiting up to ``timeout`` seconds for something,
        and runs the callbacks it makes due: one turn of a caller's own loop (poll
        ``fileno()``, then call this)."""
        self._pump_until(lambda: False, timeout)
        self._run_timers()

    def reactor_stop(self):
        """Makes ``reactor_run`` return after the current callback."""
        self._stop = True

    # -- events ----------------------------------------------------------------------

    def event_subscribe(self, topic):
        """Subscribes this handle to events whose topic starts with ``topic``."""
        self.rpc("event.subscribe", {"topic": topic}).get()

    def event_unsubscribe(self, topic):
        """Ends a subscription made with ``event_subscribe``."""
        self.rpc("event.unsubscribe", {"topic": topic}).get()

    def event_send(self, topic, payload=None):
        """Publishes an event (through rank 0's event.pub): ``payload`` a JSON value,
        or JSON text (other text travels as a JSON string)."""
        body = {"topic": topic}
        if payload is not None:
            if isinstance(payload, bytes):
                payload = payload.decode("utf-8")
            if isinstance(payload, str):
                try:
                    payload = json.loads(payload)
                except ValueError:
                    pass  # plain text travels as a JSON string
            body["payload"] = payload  # event.pub takes the payload as a JSON value
        return self.rpc("event.pub", body).get()

    def event_recv(self, topic=None, timeout=None):
        """The next event received (whose topic starts with ``topic``, when given), as
        a :py:class:`Message`; None when ``timeout`` seconds pass first."""

        def match():
            return any(topic is None or m.topic.startswith(topic) for m in self._events)

        if not self._pump_until(match, timeout):
            return None
        with self._cond:
            for i, msg in enumerate(self._events):
                if topic is None or msg.topic.startswith(topic):
                    return self._events.pop(i)
        return None

    def event_watcher_create(self, topic, callback, args=()):
        """Calls ``callback(handle, msg, *args)`` in the reactor for each event whose
        topic starts with ``topic`` (subscribe to it too). Returns a token for
        ``event_watcher_destroy``."""
        watcher = (topic, callback, tuple(args))
        with self._cond:
            self._event_watchers.append(watcher)
        return watcher

    def event_watcher_destroy(self, watcher):
        """Removes an event watcher."""
        with self._cond:
            if watcher in self._event_watchers:
                self._event_watchers.remove(watcher)

    # -- attributes and the rest -----------------------------------------------------

    def attr_get(self, name):
        """The value of a broker attribute (see fluxs-attributes(7)), as a string;
        OSError ENOENT when it is not set."""
        return self.rpc("attr.get", {"name": name}).get()["value"]

    def attr_set(self, name, value):
        """Sets a broker attribute."""
        self.rpc("attr.set", {"name": name, "value": str(value)}).get()

    def get_rank(self):
        """The rank of the broker this handle is connected to."""
        return int(self.attr_get("rank"))

    def fileno(self):
        """The socket's file descriptor, for a caller's own poll loop: when it is
        readable, call ``dispatch()``."""
        return self._sock.fileno()

    def close(self):
        """Closes the connection; pending futures fail with ECONNRESET."""
        if self._closed:
            return
        self._closed = True
        # Broken first: a thread reading now sees that, not a closed descriptor.
        self._lose(OSError(errno.ECONNRESET, "the handle was closed"))
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        with self._cond:
            # Another thread's read ends at once (the shutdown makes it see EOF); this
            # thread's own (close from a callback) is not waited for.
            while self._reading and self._reader != threading.get_ident():
                self._cond.wait(1.0)
            self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            if not self._closed:
                self._sock.close()
        except Exception:  # pylint: disable=broad-except
            pass
