"""A Parsl executor that runs each app as a job of a fluxs instance."""

import concurrent.futures as cf
import functools
import itertools
import logging
import os
import queue
import shutil
import socket
import sys
import threading
import time
import uuid
import weakref
from collections import namedtuple
from typing import Any, Callable, Dict, Mapping, Optional

from parsl.app.errors import AppException
from parsl.executors.base import ParslExecutor
from parsl.executors.errors import ScalingFailed
from parsl.providers import LocalProvider
from parsl.providers.base import ExecutionProvider
from parsl.serialize import deserialize, pack_apply_message
from parsl.serialize.errors import SerializationError
from parsl.utils import RepresentationMixin

logger = logging.getLogger(__name__)

_HERE = os.path.dirname(os.path.realpath(__file__))
WORKER_PATH = os.path.join(_HERE, "fluxs_worker.py")
MANAGER_PATH = os.path.join(_HERE, "instance_manager.py")

# One app waiting to become a fluxs job.
_Task = namedtuple("_Task", ("future", "task_id", "infile", "outfile", "resource_spec"))


class FluxsFutureWrapper(cf.Future):
    """The future FluxsExecutor.submit returns for an app.

    It stands for the app, not for the fluxs job: it gets the app's value, or
    the exception the app raised, once the job has ended and its result file
    has been read.  Until the app has become a job, ``cancel`` cancels it for
    good; afterwards ``cancel`` is passed on to the future of the fluxs
    executor (``fluxs.job.FluxExecutor``), and succeeds when that one does.
    """

    def __init__(self):
        super().__init__()
        self._fluxs_future = None
        # Held while the submission thread gives this future its job, so that
        # cancel() sees either no job at all or the job's future.
        self._cancellation_lock = threading.Lock()

    def cancel(self):
        with self._cancellation_lock:
            underlying = self._fluxs_future
            if underlying is None:
                return super().cancel()
        if self.cancelled():
            return True
        if not underlying.cancel():
            return False
        # The job's future was cancelled: so is the app's.
        if super().cancel():
            self.set_running_or_notify_cancel()
            return True
        return self.cancelled()

    cancel.__doc__ = cf.Future.cancel.__doc__

    def running(self):
        underlying = self._fluxs_future
        if underlying is None:
            return False
        return underlying.running()

    running.__doc__ = cf.Future.running.__doc__


def _complete_future(result_path: str, app_future: FluxsFutureWrapper, job_future: Any) -> None:
    """Give APP_FUTURE the outcome of the job whose future JOB_FUTURE is done:
    the app's value or exception from RESULT_PATH when the job exited 0, an
    AppException when it exited otherwise, the job's own exception when it
    failed (an exception raised on it, a cancel)."""
    if job_future.cancelled():
        return  # the app's future was cancelled with it
    try:
        returncode = job_future.result()
    except BaseException as exc:
        app_future.set_exception(exc)
        return
    if returncode != 0:
        app_future.set_exception(AppException(f"the fluxs job of the app exited with {returncode}"))
        return
    try:
        with open(result_path, "rb") as handle:
            outcome = deserialize(handle.read())
    except FileNotFoundError:
        app_future.set_exception(FileNotFoundError(
            f"the fluxs job of the app left no result in {result_path}"))
        return
    except Exception as exc:
        app_future.set_exception(exc)
        return
    if outcome.exception is not None:
        app_future.set_exception(outcome.exception)
    else:
        app_future.set_result(outcome.returnval)


class FluxsExecutor(ParslExecutor, RepresentationMixin):
    """Parsl executor that makes each app a fluxs job.

    It is to fluxs what ``parsl.executors.FluxExecutor`` is to Flux: every app
    becomes one job of a fluxs instance, sized by its resource specification,
    which suits apps that need whole nodes, several cores or GPUs, or MPI
    ranks, rather than many small, fast tasks (use HighThroughputExecutor with
    ``parsl_fluxs.FluxsProvider`` for those).

    The instance is, by default, a new one that the executor starts through
    its provider: the provider's block runs ``launch_cmd``, by default
    ``fluxs start`` with a small manager program (``instance_manager.py``) as
    its initial program (with a FluxsProvider, the block is a ``fluxs batch``
    job, an instance already, and runs the manager directly), which sends the instance's URI back to the executor
    over ZeroMQ and keeps the instance up until the executor shuts down.  With
    ``uri`` set, the executor uses that instance instead and starts nothing
    (``uri=os.environ["FLUXS_URI"]`` for the enclosing one).

    Jobs are submitted through the fluxs Python API,
    ``fluxs.job.FluxExecutor``.  The app and its arguments are packed into a
    file in ``working_dir``; the job runs ``fluxs_worker.py``, which calls the
    app and writes its value or exception back to a file next to it.  The
    job's standard output and error go to ``working_dir`` too.

    Parameters
    ----------
    provider : ExecutionProvider
        Starts the instance (default: ``LocalProvider``, on this machine).
    working_dir : str
        Directory for the executor's files (default: a new one named after
        ``label`` in the current directory).
    label : str
        Label of the executor.
    flux_executor_kwargs : Mapping
        Keyword arguments for ``fluxs.job.FluxExecutor``; ``handle_kwargs``
        gets the instance's ``url`` added.
    fluxs_path : str
        The fluxs command (default: ``fluxs`` found in PATH, when needed).
    launch_cmd : str
        The command the provider's block runs, with the fields ``{fluxs}``,
        ``{python}``, ``{manager}``, ``{protocol}``, ``{hostname}``,
        ``{port}``; default ``DEFAULT_LAUNCH_CMD``, or ``BATCH_LAUNCH_CMD``
        with a FluxsProvider (the block is then the instance: a child of the
        one the provider submits to, on ``nodes_per_block`` nodes).
    uri : str
        Use this instance instead of starting one.
    address : str
        The address the manager reaches the executor at (default: 127.0.0.1
        with LocalProvider, else this host's name).
    """

    DEFAULT_LAUNCH_CMD = "{fluxs} start {python} {manager} {protocol} {hostname} {port}"
    #: The default with a FluxsProvider, whose block already is an instance (a
    #: ``fluxs batch`` job): the manager runs in it, with no ``fluxs start``.
    BATCH_LAUNCH_CMD = "{python} {manager} {protocol} {hostname} {port}"

    def __init__(
        self,
        provider: Optional[ExecutionProvider] = None,
        working_dir: Optional[str] = None,
        label: str = "FluxsExecutor",
        flux_executor_kwargs: Mapping = {},
        fluxs_path: Optional[str] = None,
        launch_cmd: Optional[str] = None,
        uri: Optional[str] = None,
        address: Optional[str] = None,
    ):
        super().__init__()
        self.provider = provider if provider is not None else LocalProvider()
        self.label = label
        if working_dir is None:
            working_dir = "{}_{}".format(label, uuid.uuid4())
        self.working_dir = os.path.abspath(working_dir)
        self.flux_executor_kwargs = flux_executor_kwargs
        if fluxs_path is None and uri is None:
            fluxs_path = shutil.which("fluxs")
            if fluxs_path is None:
                raise EnvironmentError("fluxs is not in PATH: give fluxs_path")
        self.fluxs_path = os.path.abspath(fluxs_path) if fluxs_path else None
        if not launch_cmd:
            from parsl_fluxs.provider import FluxsProvider
            batch = isinstance(self.provider, FluxsProvider)
            launch_cmd = self.BATCH_LAUNCH_CMD if batch else self.DEFAULT_LAUNCH_CMD
        self.launch_cmd = launch_cmd
        self.uri = uri
        self.address = address

        self._task_counter = itertools.count()
        self._tasks: "queue.Queue[_Task]" = queue.Queue()
        self._stop = threading.Event()
        # Serializes submit() against shutdown() (and guards the counter).
        self._submit_lock = threading.Lock()
        self._job_id = None  # the provider's block running the instance
        self._thread = threading.Thread(
            target=_submission_thread, args=(weakref.proxy(self), self._tasks, self._stop),
            name="FluxsExecutor-submit", daemon=True)
        weakref.finalize(self, self._stop.set)

    def start(self):
        """Make the working directory and start the thread that connects to
        the instance (starting it first, unless ``uri`` names one) and turns
        apps into jobs."""
        super().start()
        os.makedirs(self.working_dir, exist_ok=True)
        self._thread.start()

    def shutdown(self, wait=True):
        """Refuse further submissions; with WAIT, wait until every app
        submitted has ended and the instance the executor started has stopped."""
        with self._submit_lock:
            self._stop.set()
        if wait and self._thread.is_alive():
            self._thread.join()
        if wait:
            self._end_block()
        super().shutdown()

    def _end_block(self, grace: float = 60.0) -> None:
        """Wait (GRACE seconds at most) for the block running the instance to
        end once told to stop, and cancel it if it has not."""
        job_id = self._job_id
        if job_id is None:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                if self.provider.status([job_id])[0].terminal:
                    return
            except Exception:
                logger.exception("status of the instance's block %s", job_id)
                break
            time.sleep(0.2)
        logger.warning("the instance's block %s did not end: cancelling it", job_id)
        try:
            self.provider.cancel([job_id])
        except Exception:
            logger.exception("cancel of the instance's block %s", job_id)

    def submit(self, func: Callable, resource_specification: Dict[str, Any], *args: Any, **kwargs: Any):
        """Make FUNC(*ARGS, **KWARGS) a fluxs job and return its future.

        The keys of RESOURCE_SPECIFICATION that are read:

        - ``num_tasks``: tasks of the job (MPI ranks), default 1;
        - ``cores_per_task``: default 1;
        - ``gpus_per_task``: default none;
        - ``num_nodes``: spread the tasks over that many nodes (which does not
          make the nodes exclusive).

        Only task rank 0 reports the app's value.
        """
        with self._submit_lock:
            if self._stop.is_set():
                raise RuntimeError("shutdown() has been called: no more submissions")
            task_id = str(next(self._task_counter))
            # (Apps may be queued before start(), which makes it too.)
            os.makedirs(self.working_dir, exist_ok=True)
            infile = os.path.join(self.working_dir, f"{task_id}_in.pkl")
            outfile = os.path.join(self.working_dir, f"{task_id}_out.pkl")
            try:
                packed = pack_apply_message(func, args, kwargs, buffer_threshold=1 << 20)
            except TypeError:
                raise SerializationError(getattr(func, "__name__", repr(func)))
            with open(infile, "wb") as handle:
                handle.write(packed)
            future = FluxsFutureWrapper()
            self._tasks.put(_Task(future, task_id, infile, outfile, dict(resource_specification or {})))
            return future

    # -- what the submission thread calls -----------------------------------

    def _launch_command(self, port: int) -> str:
        host = self.address
        if host is None:
            host = "127.0.0.1" if isinstance(self.provider, LocalProvider) else socket.gethostname()
        return self.launch_cmd.format(
            fluxs=self.fluxs_path or "fluxs",
            python=sys.executable,
            manager=MANAGER_PATH,
            protocol="tcp",
            hostname=host,
            port=port,
        )

    def _jobspec(self, fluxs_job, task: _Task):
        spec = task.resource_spec
        jobspec = fluxs_job.JobspecV1.from_command(
            command=[sys.executable, WORKER_PATH, "-i", task.infile, "-o", task.outfile],
            num_tasks=spec.get("num_tasks", 1),
            cores_per_task=spec.get("cores_per_task", 1),
            gpus_per_task=spec.get("gpus_per_task"),
            num_nodes=spec.get("num_nodes"),
        )
        jobspec.cwd = os.getcwd()
        jobspec.environment = dict(os.environ)
        jobspec.stdout = os.path.join(self.working_dir, f"{task.task_id}_stdout.txt")
        jobspec.stderr = os.path.join(self.working_dir, f"{task.task_id}_stderr.txt")
        return jobspec


def _submission_thread(executor, tasks: "queue.Queue[_Task]", stop: threading.Event) -> None:
    """Connect to the instance and turn the queued apps into jobs until the
    executor stops; should anything fail, fail every app instead."""
    try:
        _run_submissions(executor, tasks, stop)
    except _ShutDownEarly:
        logger.info("FluxsExecutor: shut down before its instance was up")
    except Exception as exc:
        logger.exception("FluxsExecutor: no more jobs can be submitted")
        # Fail what is queued now and whatever comes until shutdown.
        while not stop.is_set() or not tasks.empty():
            try:
                task = tasks.get(timeout=0.05)
            except queue.Empty:
                continue
            if not task.future.done():
                task.future.set_exception(exc)


def _run_submissions(executor, tasks, stop) -> None:
    if executor.uri is not None:
        _submit_loop(executor, tasks, stop, executor.uri)
        return
    import zmq
    with zmq.Context() as context, context.socket(zmq.REP) as sock:
        sock.setsockopt(zmq.LINGER, 1000)
        if isinstance(executor.provider, LocalProvider) and executor.address is None:
            port = sock.bind_to_random_port("tcp://127.0.0.1")
        else:
            port = sock.bind_to_random_port("tcp://*")
        executor.provider.script_dir = executor.working_dir
        job_id = executor.provider.submit(executor._launch_command(port), 1)
        if not job_id:
            raise ScalingFailed(executor, "the provider could not start the fluxs instance")
        executor._job_id = job_id
        try:
            # First word from the manager: where the fluxs package is.
            package_dir = _receive(sock, executor.provider, job_id, stop, tasks).decode()
            if package_dir and package_dir not in sys.path:
                sys.path.append(package_dir)
            import fluxs.job  # noqa: F401  (fail here, before the URI, if it cannot)
            sock.send(b"ack")
            uri = _receive(sock, executor.provider, job_id, stop, tasks).decode()
        except BaseException:
            # The manager would wait for ever: end its instance now.
            try:
                executor.provider.cancel([job_id])
            except Exception:
                logger.exception("cancel of the instance's block %s", job_id)
            raise
        logger.info("FluxsExecutor: the instance is at %s", uri)
        try:
            _submit_loop(executor, tasks, stop, uri)
        finally:
            # Tell the manager to let the instance end.
            sock.send(b"shutdown")


class _ShutDownEarly(Exception):
    """The executor was shut down, with no app waiting, before its instance was up."""


def _receive(sock, provider, job_id, stop, tasks) -> bytes:
    """The next message from the manager; raise if the block ends first, or
    if the executor is shut down with nothing to do before the instance is up."""
    import zmq
    while not sock.poll(1000, zmq.POLLIN):
        status = provider.status([job_id])[0]
        if status.terminal:
            raise RuntimeError(f"the block {job_id} that runs the fluxs instance ended: {status}")
        if stop.is_set() and tasks.empty():
            raise _ShutDownEarly()
    return sock.recv()


def _submit_loop(executor, tasks, stop, uri: str) -> None:
    import fluxs.job

    kwargs = dict(executor.flux_executor_kwargs)
    handle_kwargs = dict(kwargs.pop("handle_kwargs", {}) or {})
    handle_kwargs["url"] = uri
    with fluxs.job.FluxExecutor(handle_kwargs=handle_kwargs, **kwargs) as fluxs_executor:
        # Leaving the with-block waits for every job submitted.
        while not stop.is_set() or not tasks.empty():
            try:
                task = tasks.get(timeout=0.05)
            except queue.Empty:
                continue
            _submit_one(executor, fluxs_executor, fluxs.job, task)


def _submit_one(executor, fluxs_executor, fluxs_job, task: _Task) -> None:
    """Submit one app as a job and tie the app's future to the job's."""
    with task.future._cancellation_lock:
        if task.future.cancelled():
            return
        try:
            jobspec = executor._jobspec(fluxs_job, task)
            job_future = fluxs_executor.submit(jobspec)
        except Exception as exc:
            # A bad resource specification, or an executor that is broken
            # (its instance is gone): this app fails, the others are tried.
            task.future.set_exception(exc)
            return
        task.future._fluxs_future = job_future
    job_future.add_done_callback(functools.partial(_complete_future, task.outfile, task.future))
