"""The job manager's event journal: ``JournalConsumer`` follows the events of many
jobs over one stream (job-manager.events-journal, see fluxs-job-manager(7)), as
flux-core's ``flux.job.JournalConsumer`` does, without a KVS watch per job."""

import collections

from fluxs.constants import FLUX_RPC_STREAMING
from fluxs.job.event import EventLogEvent


class JournalConsumer:
    """The events the job manager posts from ``start()`` on, of the caller's jobs
    (``userid=-1``: every user's, for the instance owner), each an
    :py:class:`EventLogEvent` with ``jobid`` set.

    Unlike flux-core's, it does not replay the history of jobs already submitted
    (``full`` must be False): follow one job's past with ``event_watch``.

    :param events: only events with these names (default: every event)
    """

    def __init__(self, flux_handle, full=False, since=0.0, include_sentinel=False, userid=None, events=None):
        if full or since:
            raise ValueError("the fluxs journal starts now: full and since are not supported")
        del include_sentinel
        self.handle = flux_handle
        self.userid = userid
        self.events = None if events is None else sorted(events)
        self._rpc = None
        self._queue = collections.deque()
        self._callback = None

    def start(self):
        """Subscribes; events posted after this returns are all delivered. Returns self."""
        body = {}
        if self.userid is not None:
            body["userid"] = self.userid
        if self.events is not None:
            body["allow"] = self.events
        self._rpc = self.handle.rpc("job-manager.events-journal", body, flags=FLUX_RPC_STREAMING)
        self._rpc.get()  # the empty first response: subscribed
        self._rpc.reset()
        if self._callback is not None:
            self._rpc.then(self._on_response)
        return self

    def _absorb(self):
        for item in self._rpc.get()["events"]:
            self._queue.append(EventLogEvent(item["entry"], jobid=item["id"]))

    def _on_response(self, rpc):
        fn, args, kwargs = self._callback
        try:
            self._absorb()
        except OSError:
            # The stream ended (the handle was closed or the connection lost): as
            # flux-core's, the callback hears it as an event of None.
            rpc.cancel(stop=False)
            if self._rpc is rpc:
                self._rpc = None
            self._queue.append(None)
        while self._queue:
            fn(self._queue.popleft(), *args, **kwargs)

    def poll(self, timeout=-1.0):
        """The next event, waiting up to ``timeout`` seconds (negative: for ever);
        TimeoutError when none came in time."""
        while not self._queue:
            self._rpc.wait_for(None if timeout is None or timeout < 0 else timeout)
            self._absorb()
            self._rpc.reset()
        return self._queue.popleft()

    def set_callback(self, event_cb, *args, **kwargs):
        """Calls ``event_cb(event, *args, **kwargs)`` for each event, in the reactor
        (set it before ``start()``), and once with None should the stream end (its
        handle closed, the connection lost). Returns self."""
        self._callback = (event_cb, args, kwargs)
        if self._rpc is not None:
            self._rpc.then(self._on_response)
        return self

    def stop(self):
        """Stops following: the job manager ends the stream."""
        if self._rpc is not None:
            self._rpc.cancel()
            self._rpc = None
