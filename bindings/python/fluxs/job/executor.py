"""``FluxExecutor``: jobs as ``concurrent.futures`` futures, as flux-core's
``flux.job.FluxExecutor``.

Each executor thread has its own handle. It submits the jobspecs handed to it without
waiting for one answer before sending the next, and follows its jobs through one
job-manager.events-journal stream (not a watch per job); jobs given to ``attach`` are
followed through their eventlogs, from the start."""

import collections
import concurrent.futures
import itertools
import logging
import os
import select
import threading
import weakref

import fluxs
from fluxs.constants import FLUX_RPC_STREAMING
from fluxs.job.event import MAIN_EVENTS, EventLogEvent, JobException, event_watch_async
from fluxs.job.submit import submit_async, submit_get_id

_LOG = logging.getLogger(__name__)
#: Job ids travel as signed 64-bit numbers.
_ID_MASK = (1 << 64) - 1


def _exit_code(status):
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    raise ValueError(status)


class FluxExecutorFuture(concurrent.futures.Future):
    """The future of one job: a ``concurrent.futures.Future`` whose result is the
    job's exit code (the largest of its tasks', or minus the signal that killed it),
    and whose exception is a :py:class:`JobException` when the job failed to run or
    was canceled, or an OSError when it was refused. Besides: ``jobid()`` and
    ``add_jobid_callback(cb)``; ``add_event_callback(name, cb)`` for the events in
    ``EVENTS``, called with (future, event) for each such event, those that already
    happened included."""

    EVENTS = MAIN_EVENTS

    def __init__(self, owning_thread_id=None):
        super().__init__()
        self._owner = owning_thread_id
        self._jobid_cond = threading.Condition()
        self._jobid = None
        self._jobid_set = False
        self._jobid_error = None
        self._jobid_callbacks = []
        self._event_lock = threading.RLock()
        self._events = collections.defaultdict(list)
        self._event_callbacks = collections.defaultdict(list)

    def _set_jobid(self, jobid, exc=None):
        with self._jobid_cond:
            if self._jobid_set:
                raise RuntimeError("invalid state: jobid already set")
            self._jobid = jobid
            self._jobid_error = exc
            self._jobid_set = True
            callbacks = list(self._jobid_callbacks)
            self._jobid_cond.notify_all()
        for callback in callbacks:
            self._invoke(callback)

    def jobid(self, timeout=None):
        """The :py:class:`JobID` of the job, once submitted.

        :raises concurrent.futures.TimeoutError: not known within ``timeout`` seconds
        :raises concurrent.futures.CancelledError: the future was canceled first
        :raises OSError: the job was refused (an invalid jobspec, for instance)
        """
        with self._jobid_cond:
            if not self._jobid_cond.wait_for(lambda: self._jobid_set, timeout):
                raise concurrent.futures.TimeoutError()
            if self._jobid_error is not None:
                raise self._jobid_error
            return self._jobid

    def add_jobid_callback(self, callback):
        """Calls ``callback(future)`` once the job id is known. Returns self."""
        with self._jobid_cond:
            if not self._jobid_set:
                self._jobid_callbacks.append(callback)
                return self
        self._invoke(callback)
        return self

    def add_done_callback(self, fn):
        """As ``concurrent.futures.Future.add_done_callback``; returns self."""
        super().add_done_callback(fn)
        return self

    def add_event_callback(self, event, callback):
        """Calls ``callback(future, event)`` for each event named ``event`` (one of
        ``EVENTS``), at once for those that already happened. Returns self."""
        if event not in self.EVENTS:
            raise ValueError(f"{event!r} is not an event of EVENTS")
        with self._event_lock:
            self._event_callbacks[event].append(callback)
            for entry in self._events[event]:
                self._invoke(callback, entry)
        return self

    def _set_event(self, entry):
        with self._event_lock:
            self._events[entry["name"]].append(entry)
            callbacks = self._event_callbacks.get(entry["name"])
            if not callbacks:
                return
            callbacks = list(callbacks)
        for callback in callbacks:
            self._invoke(callback, entry)

    def _invoke(self, callback, *args):
        try:
            callback(self, *args)
        except Exception:  # pylint: disable=broad-except
            _LOG.exception("exception calling callback for %r", self)

    def _check_thread(self):
        if not self.done() and self._owner is not None and threading.get_ident() == self._owner:
            raise RuntimeError("Cannot wait for future from inside callback")

    def result(self, timeout=None):
        """The job's exit code, waiting for it (see the class)."""
        self._check_thread()
        return super().result(timeout)

    def exception(self, timeout=None):
        """The job's exception, or None, waiting for it."""
        self._check_thread()
        return super().exception(timeout)

    def cancel(self):
        """Cancels the future if no thread took it yet (then ``jobid()`` raises
        CancelledError); returns whether it is canceled."""
        canceled = super().cancel()
        if canceled:
            with self._jobid_cond:
                unset = not self._jobid_set
            if unset:
                self._set_jobid(None, concurrent.futures.CancelledError())
        return canceled

    def set_exception(self, exception):
        """Fails the future (and its jobid, when it was never set)."""
        with self._jobid_cond:
            unset = not self._jobid_set
        if unset:
            self._set_jobid(None, exception)
        super().set_exception(exception)


class _Worker(threading.Thread):
    """One executor thread: a handle, a journal stream, the jobs it follows."""

    def __init__(self, handle_args, handle_kwargs, name):
        super().__init__(name=name, daemon=True)
        self.packages = collections.deque()
        self._wake_r, self._wake_w = os.pipe()
        self._handle = fluxs.Flux(*handle_args, **handle_kwargs)
        self._jobs = {}  # id -> future, the submitted jobs not yet clean
        self._early = collections.defaultdict(list)  # events of ids not yet known
        self._submitting = 0
        self._attached = set()
        self._stopping = threading.Event()
        self.broken = None
        # Guards packages against the thread's end: once closed, nothing is added.
        self.lock = threading.Lock()
        self.closed = False
        journal = self._handle.rpc("job-manager.events-journal", {}, flags=FLUX_RPC_STREAMING)
        journal.get()  # subscribed before the first submission
        journal.reset()
        journal.then(self._on_journal)

    def wake(self):
        """Tells the thread that a package is waiting (or that it should stop)."""
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def stop(self):
        """Asks the thread to end once it has no work left."""
        self._stopping.set()
        self.wake()

    def _work_remains(self):
        return not self._stopping.is_set() or self.packages or self._jobs or self._attached or self._submitting

    def run(self):
        try:
            while self._work_remains():
                readable, _, _ = select.select([self._handle.fileno(), self._wake_r], [], [], 1.0)
                if self._wake_r in readable:
                    os.read(self._wake_r, 65536)
                self._take_packages()
                self._handle.dispatch(0)
                if self._handle._broken is not None:
                    raise self._handle._broken
        except Exception as exc:  # pylint: disable=broad-except
            self.broken = exc
            self._fail_all(exc)
        finally:
            with self.lock:
                self.closed = True
            if self.packages:  # added while the thread was failing
                self._fail_all(self.broken or RuntimeError("the executor thread ended"))
            self._handle.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _fail_all(self, exc):
        for future in list(self._jobs.values()) + list(self._attached):
            if not future.done():
                future.set_exception(exc)
        self._jobs.clear()
        self._attached.clear()
        while self.packages:
            kind, args, kwargs, future = self.packages.popleft()
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)

    def _take_packages(self):
        taken = 0
        while self.packages:
            taken += 1
            if taken % 64 == 0:
                # Read what came meanwhile: a reader that keeps up keeps the broker's
                # queue of messages for it short, and that is cheaper for the broker.
                self._handle.dispatch(0)
            kind, args, kwargs, future = self.packages.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if kind == "submit":
                    submit_async(self._handle, *args, **kwargs).then(self._on_submitted, future)
                    self._submitting += 1
                else:
                    future._set_jobid(args[0])
                    self._attached.add(future)
                    event_watch_async(self._handle, args[0]).then(self._on_attached_event, future)
            except Exception as exc:  # pylint: disable=broad-except
                future.set_exception(exc)

    def _on_submitted(self, rpc, future):
        self._submitting -= 1
        try:
            jobid = submit_get_id(rpc)
        except Exception as exc:  # pylint: disable=broad-except
            future.set_exception(exc)
        else:
            self._jobs[jobid] = future
            future._set_jobid(jobid)
            for event in self._early.pop(jobid, ()):
                self._apply(jobid, future, event)
        if not self._submitting:
            self._early.clear()

    def _on_journal(self, rpc):
        try:
            answer = rpc.get()
        except OSError as exc:
            self._fail_all(exc)
            return
        jobs = self._jobs
        for item in answer["events"]:
            jobid = item["id"] & _ID_MASK
            future = jobs.get(jobid)
            if future is not None:
                self._apply(jobid, future, EventLogEvent(item["entry"], jobid))
            elif self._submitting:
                self._early[jobid].append(EventLogEvent(item["entry"], jobid))

    def _apply(self, jobid, future, event):
        self._settle(future, event)
        if event.name == "clean":
            self._jobs.pop(jobid, None)

    def _on_attached_event(self, watch, future):
        try:
            event = watch.get_event()
        except Exception as exc:  # pylint: disable=broad-except
            self._attached.discard(future)
            if not future.done():
                future.set_exception(ValueError("job ID does not match any job") if isinstance(exc, FileNotFoundError) else exc)
            return
        if event is None:
            self._attached.discard(future)
            return
        self._settle(future, event)

    @staticmethod
    def _settle(future, event):
        name = event["name"]
        if name in MAIN_EVENTS:
            future._set_event(event)
        if name not in ("finish", "exception") or future.done():
            return
        if name == "finish":
            try:
                future.set_result(_exit_code(event.context["status"]))
            except ValueError as exc:
                future.set_exception(exc)
        elif event.name == "exception" and event.context.get("severity") == 0:
            future.set_exception(JobException(event))


class FluxExecutor:
    """Runs jobs as futures, as flux-core's ``flux.job.FluxExecutor``: ``submit(jobspec,
    urgency=16)`` returns a :py:class:`FluxExecutorFuture`; ``attach(jobid)`` a future
    for a job submitted elsewhere; ``shutdown(wait=True, cancel_futures=False)``.

    A future is "running" (too late for ``cancel()``) once a thread took it; cancel
    the job itself with ``fluxs.job.cancel``, which sets a JobException.

    :param threads: the number of threads (each with its own handle)
    :param thread_name_prefix: their name prefix
    :param poll_interval: accepted for flux-core's sake (the threads wake when work
        comes)
    :param handle_args: positional arguments of the threads' ``fluxs.Flux``
    :param handle_kwargs: keyword arguments of the threads' ``fluxs.Flux`` (url=...)
    """

    _counter = itertools.count().__next__
    EVENTS = MAIN_EVENTS

    def __init__(self, threads=1, thread_name_prefix="", poll_interval=0.1, handle_args=(), handle_kwargs=None):
        del poll_interval
        if threads < 1:
            raise ValueError("the number of threads must be > 0")
        prefix = thread_name_prefix or f"{type(self).__name__}-{self._counter()}"
        self._lock = threading.Lock()
        self._shutdown = False
        self._next = 0
        self._workers = [_Worker(handle_args, handle_kwargs or {}, f"{prefix}-{i}") for i in range(threads)]
        for worker in self._workers:
            worker.start()
        self._finalizer = weakref.finalize(self, FluxExecutor._stop_workers, list(self._workers))

    def _enqueue(self, kind, args, kwargs):
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            worker = self._workers[self._next]
            self._next = (self._next + 1) % len(self._workers)
            future = FluxExecutorFuture(worker.ident)
            with worker.lock:
                if worker.broken is not None or worker.closed or not worker.is_alive():
                    raise RuntimeError(f"Executor is broken, new futures cannot be scheduled: {worker.broken}")
                worker.packages.append((kind, args, kwargs, future))
        worker.wake()
        return future

    def submit(self, jobspec, *args, **kwargs):
        """Submits a job; returns its :py:class:`FluxExecutorFuture`. Takes the
        arguments of ``fluxs.job.submit`` after the handle (jobspec, urgency, ...)."""
        return self._enqueue("submit", (jobspec,) + args, kwargs)

    def attach(self, jobid):
        """A future for an existing job, with its events from the start."""
        return self._enqueue("attach", (jobid,), {})

    def map(self, *args, **kwargs):
        """Not supported: the executor runs jobspecs, not callables."""
        raise NotImplementedError("FluxExecutor runs jobspecs; use submit")

    def shutdown(self, wait=True, *, cancel_futures=False):
        """No new futures after this. With ``wait``, returns once every future is
        done; with ``cancel_futures``, futures no thread took yet are canceled."""
        with self._lock:
            self._shutdown = True
        if cancel_futures:
            for worker in self._workers:
                while worker.packages:
                    try:
                        _, _, _, future = worker.packages.popleft()
                    except IndexError:
                        break
                    future.cancel()
                    future.set_running_or_notify_cancel()
        for worker in self._workers:
            worker.stop()
        if wait:
            for worker in self._workers:
                worker.join()

    @staticmethod
    def _stop_workers(workers):
        for worker in workers:
            worker.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown(wait=True)
        return False
