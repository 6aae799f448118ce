"""Job events (RFC 18 eventlog entries, RFC 21 names): ``EventLogEvent``,
``JobException``, ``event_watch``, ``event_watch_async``, ``event_wait``.

A job's events are the entries of its eventlog in the KVS (job.DOTHEX.eventlog),
followed with kvs.watch: first those already posted, then each as it is posted, up to
"clean"."""

import collections
import errno
import json

from fluxs.constants import FLUX_RPC_STREAMING
from fluxs.job.jobid import JobID

#: The events of a job's main eventlog that change its state or outcome.
MAIN_EVENTS = frozenset(
    (
        "submit",
        "validate",
        "invalidate",
        "set-flags",
        "jobspec-update",
        "resource-update",
        "depend",
        "priority",
        "flux-restart",
        "urgency",
        "alloc",
        "free",
        "start",
        "release",
        "finish",
        "clean",
        "debug",
        "exception",
        "memo",
    )
)


class EventLogEvent(dict):
    """One eventlog entry: ``name``, ``timestamp`` and ``context`` (a dict, empty when
    the entry has none); ``jobid`` when it came through a journal."""

    def __init__(self, event, jobid=None):
        if isinstance(event, str):
            event = json.loads(event)
        super().__init__(event)
        self._jobid = jobid

    @property
    def jobid(self):
        """The :py:class:`JobID` of the job (journal events), else None."""
        return None if self._jobid is None else JobID(self._jobid)

    @property
    def name(self):
        """The event's name, such as "start"."""
        return self["name"]

    @property
    def timestamp(self):
        """When it was posted, in seconds since the epoch."""
        return self["timestamp"]

    @property
    def context(self):
        """Its context object."""
        return self.get("context") or {}

    @property
    def context_string(self):
        """The context as compact JSON ("" when empty)."""
        return json.dumps(self.context, separators=(",", ":")) if self.context else ""

    def __str__(self):
        return f"{self.timestamp:f} {self.name} {self.context_string}".rstrip()


class JobException(Exception):
    """A job's fatal exception (a cancel, a timeout, a failure to start), made from
    its exception event: ``type``, ``note``, ``severity``, ``timestamp``."""

    def __init__(self, event):
        self.timestamp = event.timestamp
        self.type = event.context.get("type", "")
        self.note = event.context.get("note", "")
        self.severity = event.context.get("severity", 0)
        super().__init__(str(self))

    def __str__(self):
        text = f"job.exception type={self.type}"
        return f"{text}: {self.note}" if self.note else text


class JobEventWatchFuture:
    """The events of one job's eventlog, one at a time: ``get_event()`` returns the
    next :py:class:`EventLogEvent`, or None once the eventlog is done ("clean" for the
    main one); ``then(cb)`` calls ``cb(future, *args)`` for each, and once more at the
    end. OSError ENOENT when the job does not exist."""

    def __init__(self, flux_handle, jobid, eventlog="eventlog"):
        self.jobid = JobID(jobid)
        self.eventlog = eventlog
        self._key = f"{self.jobid.kvs}.{eventlog}"
        self._rpc = flux_handle.rpc("kvs.watch", {"key": self._key}, flags=FLUX_RPC_STREAMING)
        self._seen = 0
        self._events = collections.deque()
        self._ended = False
        self._error = None
        self._finished = False

    def _absorb(self):
        """Takes the watch's current response: the events after those seen."""
        try:
            answer = self._rpc.get()
        except OSError as exc:
            self._rpc.reset()
            if exc.errno == errno.ENODATA:
                self._ended = True
                return
            raise
        self._rpc.reset()
        if answer.get("missing"):
            if self._seen == 0:
                self.cancel()
                raise OSError(errno.ENOENT, f"job {self.jobid} not found")
            return
        text = answer.get("value")
        if not isinstance(text, str):
            self.cancel()
            raise OSError(errno.EPROTO, f"{self._key} is not an eventlog")
        fresh = text[self._seen :]
        complete = fresh.rfind("\n") + 1
        for line in fresh[:complete].splitlines():
            if line.strip():
                self._events.append(EventLogEvent(line))
        self._seen += complete

    def _next(self, timeout=None):
        if self._error is not None:
            raise self._error
        while not self._events and not self._ended:
            self._rpc.wait_for(timeout)
            self._absorb()
        return self._events[0] if self._events else None

    def get_event(self, autoreset=True, timeout=None):
        """The next event, waiting for it; None when the eventlog is done."""
        event = self._next(timeout)
        if event is not None and autoreset:
            self._take()
        return event

    def _take(self):
        event = self._events.popleft()
        if self.eventlog == "eventlog" and event.name == "clean":
            self.cancel()
        return event

    def reset(self):
        """Moves past the event ``get_event(autoreset=False)`` returned."""
        if self._events:
            self._take()

    def cancel(self):
        """Stops following the eventlog."""
        if not self._ended:
            self._ended = True
            self._rpc.cancel()

    def then(self, callback, *args, **kwargs):
        """Calls ``callback(self, *args, **kwargs)`` for each event (the callback calls
        ``get_event()``), then once with nothing left (``get_event()`` is None)."""

        def step(_rpc):
            try:
                self._absorb()
            except OSError as exc:
                self._error = exc
                self._events.clear()
                self._ended = True
            while self._events:
                before = len(self._events)
                callback(self, *args, **kwargs)
                if len(self._events) == before:
                    self._take()
            if self._ended and not self._finished:
                self._finished = True
                callback(self, *args, **kwargs)

        self._rpc.then(step)
        return self


def event_watch_async(flux_handle, jobid, eventlog="eventlog"):
    """A :py:class:`JobEventWatchFuture` following a job's eventlog."""
    return JobEventWatchFuture(flux_handle, jobid, eventlog)


def event_watch(flux_handle, jobid, eventlog="eventlog"):
    """Yields a job's events as they come, ending after "clean"."""
    watcher = JobEventWatchFuture(flux_handle, jobid, eventlog)
    try:
        while True:
            event = watcher.get_event()
            if event is None:
                return
            yield event
    finally:
        watcher.cancel()


def event_wait(flux_handle, jobid, name, eventlog="eventlog", raiseJobException=True):  # pylint: disable=invalid-name
    """Waits for the event ``name`` of a job and returns it.

    :raises JobException: a fatal exception came first (when raiseJobException)
    :raises OSError: ENODATA when the eventlog ended without it, ENOENT for an
        unknown job
    """
    for event in event_watch(flux_handle, jobid, eventlog):
        if event.name == name:
            return event
        if raiseJobException and event.name == "exception" and event.context.get("severity") == 0:
            raise JobException(event)
    raise OSError(errno.ENODATA, f"job {JobID(jobid)}: the eventlog ended without {name}")
