"""FluxsExecutor (bindings/python/parsl_fluxs): Parsl's own parsl/tests/test_flux.py,
ported to fluxs, and a few tests more.

Parsl's tests run with the executor's default, a new instance that it starts itself
(``fluxs start`` of its manager program through a LocalProvider); here they run that
way ("nested") and, when FLUXS_URI names an instance, on that instance ("current").
They need Parsl, pyzmq and the fluxs Python API (skipped otherwise), and fluxs in
PATH for the nested instance:

    fluxs start --test-size=2 .venv-clients/bin/python -m pytest t/python/test_parsl_executor.py

Unlike Parsl's test_cancel, which relies on the nested instance taking longer to
start than three submissions take, every cancel here is either made before the
executor has an instance (so it must succeed) or accepted both ways and checked for
what each outcome implies.  Waits have deadlines of minutes, reached only when
something is broken.
"""

import concurrent.futures as cf
import os
import shutil
import sys
import time

import pytest

pytest.importorskip("parsl")
pytest.importorskip("zmq")

_BINDINGS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "..", "..", "bindings", "python"))
if _BINDINGS not in sys.path:
    sys.path.insert(0, _BINDINGS)

from parsl.app.errors import AppException  # noqa: E402

from parsl_fluxs.executor import FluxsExecutor, FluxsFutureWrapper, _complete_future  # noqa: E402

try:
    import fluxs.job  # noqa: F401
except ImportError:
    FLUXS_API = False
else:
    FLUXS_API = True

require_fluxs = pytest.mark.skipif(not FLUXS_API, reason="the fluxs Python API is not importable")
ERRMSG = "Some error message"
DEADLINE = 180.0

MODES = ["nested", "current"]

# Each test is bounded (by pytest-timeout, or by t/python/conftest.py without it).
pytestmark = pytest.mark.timeout(600)


def multiply(x, y):
    return x * y


def bad_foo():
    raise ValueError(ERRMSG)


def wait_for_file(path, then):
    """An app that waits until PATH exists, then returns THEN."""
    import os
    import time
    while not os.path.exists(path):
        time.sleep(0.05)
    return then


def task_rank_and_size():
    import os
    return os.environ.get("FLUXS_TASK_RANK"), os.environ.get("FLUXS_JOB_SIZE")


def exit_hard(code):
    import os
    os._exit(code)


@pytest.fixture(params=MODES)
def make_executor(request, tmp_path, monkeypatch):
    """Makes FluxsExecutors in the mode of the test's parameter, in tmp_path, and
    checks at the end that each has stopped what it started."""
    # (Read when the test runs, so that a session fixture may export FLUXS_URI.)
    if request.param == "nested" and shutil.which("fluxs") is None:
        pytest.skip("fluxs is not in PATH")
    if request.param == "current" and not os.environ.get("FLUXS_URI"):
        pytest.skip("FLUXS_URI is not set: no fluxs instance")
    # The apps are functions of this module, which Parsl sends by reference:
    # the jobs (which get this environment) must be able to import it.
    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (here, _BINDINGS, os.environ.get("PYTHONPATH")) if p))
    made = []

    def make(**kwargs):
        kwargs.setdefault("working_dir", str(tmp_path / f"ex{len(made)}"))
        if request.param == "current":
            kwargs.setdefault("uri", os.environ["FLUXS_URI"])
        executor = FluxsExecutor(**kwargs)
        made.append(executor)
        return executor

    make.mode = request.param
    yield make
    for executor in made:
        executor.shutdown()
        if executor._job_id is not None:
            # The nested instance's block has ended (shutdown waited for it).
            assert executor.provider.status([executor._job_id])[0].terminal


# -- Parsl's tests, ported --------------------------------------------------------

@require_fluxs
def test_multiply(make_executor):
    with make_executor() as executor:
        executor.start()
        futures = [executor.submit(multiply, {}, i, 7) for i in range(5)]
        for i, future in enumerate(futures):
            assert future.result(timeout=DEADLINE) == i * 7
            assert future.done()
            assert future.exception() is None
            assert isinstance(future, FluxsFutureWrapper)


@require_fluxs
def test_except(make_executor):
    with make_executor() as executor:
        executor.start()
        future = executor.submit(bad_foo, {})
        with pytest.raises(ValueError, match=ERRMSG):
            future.result(timeout=DEADLINE)
        assert isinstance(future.exception(), ValueError)


@require_fluxs
@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="Not Linux or too few CPUs",
)
def test_affinity(make_executor):
    with make_executor() as executor:
        executor.start()
        future = executor.submit(os.sched_getaffinity, {"cores_per_task": 2}, 0)
        assert len(future.result(timeout=DEADLINE)) > 1


@require_fluxs
def test_cancel(make_executor):
    with make_executor() as executor:
        executor.start()
        futures = [executor.submit(multiply, {}, i, 9) for i in range(3)]
        for i, future in enumerate(futures):
            if future.cancel():
                assert future.cancelled()
                assert future.done()
                with pytest.raises(cf.CancelledError):
                    future.exception()
                with pytest.raises(cf.CancelledError):
                    future.result()
            else:
                # Too late: the app is a job by now, and runs to its end.
                assert not future.cancelled()
                assert future.result(timeout=DEADLINE) == i * 9
                assert future.done()


def test_future_cancel():
    underlying_future = cf.Future()
    wrapper_future = FluxsFutureWrapper()
    wrapper_future._fluxs_future = underlying_future
    assert not wrapper_future.done()
    assert not wrapper_future.running()
    assert not wrapper_future.cancelled()
    assert wrapper_future.cancel()  # cancels the job's future too
    assert wrapper_future.cancel()  # and again
    assert wrapper_future.cancelled()
    assert wrapper_future.done()
    assert underlying_future.cancelled()
    assert underlying_future.done()


def test_future_running():
    underlying_future = cf.Future()
    wrapper_future = FluxsFutureWrapper()
    assert not underlying_future.running()
    assert underlying_future.set_running_or_notify_cancel()
    assert underlying_future.running()
    assert not wrapper_future.running()
    wrapper_future._fluxs_future = underlying_future
    assert wrapper_future.running()


def _wrapped(result_path):
    """An executor future whose completion _complete_future reads from result_path."""
    underlying_future = cf.Future()
    wrapper_future = FluxsFutureWrapper()
    wrapper_future._fluxs_future = underlying_future
    underlying_future.add_done_callback(
        lambda fut: _complete_future(str(result_path), wrapper_future, fut))
    return underlying_future, wrapper_future


def test_future_callback_returncode(tmp_path):
    underlying_future, wrapper_future = _wrapped(tmp_path / "result.pkl")
    underlying_future.set_result(1)
    assert wrapper_future.done()
    assert isinstance(wrapper_future.exception(), AppException)


def test_future_callback_nofile(tmp_path):
    underlying_future, wrapper_future = _wrapped(tmp_path / "missing.pkl")
    underlying_future.set_result(0)
    assert wrapper_future.done()
    assert isinstance(wrapper_future.exception(), FileNotFoundError)


def test_future_callback_flux_exception(tmp_path):
    underlying_future, wrapper_future = _wrapped(tmp_path / "result.pkl")
    underlying_future.set_exception(ValueError())
    assert wrapper_future.done()
    assert isinstance(wrapper_future.exception(), ValueError)


def test_future_cancel_no_underlying_future():
    wrapper_future = FluxsFutureWrapper()
    assert wrapper_future.cancel()
    assert wrapper_future.cancelled()
    assert not wrapper_future.running()


# -- more ------------------------------------------------------------------------

@require_fluxs
def test_cancel_before_start(make_executor):
    # Apps queued before the executor has an instance have no job yet: their
    # cancel cannot come too late.
    executor = make_executor()
    futures = [executor.submit(multiply, {}, i, 3) for i in range(4)]
    assert futures[1].cancel() and futures[3].cancel()
    executor.start()
    assert futures[0].result(timeout=DEADLINE) == 0
    assert futures[2].result(timeout=DEADLINE) == 6
    for future in (futures[1], futures[3]):
        assert future.cancelled()
        with pytest.raises(cf.CancelledError):
            future.result()
    executor.shutdown()


@require_fluxs
def test_cancel_running_app(make_executor, tmp_path):
    gate = tmp_path / "gate"
    with make_executor() as executor:
        executor.start()
        future = executor.submit(wait_for_file, {}, str(gate), "through")
        end = time.monotonic() + DEADLINE
        while not future.running():
            assert time.monotonic() < end, "the app never became a job"
            time.sleep(0.05)
        cancelled = future.cancel()
        gate.touch()
        if cancelled:
            assert future.cancelled()
            with pytest.raises(cf.CancelledError):
                future.result()
        else:
            assert future.result(timeout=DEADLINE) == "through"


@require_fluxs
def test_tasks_and_exit_codes(make_executor):
    with make_executor() as executor:
        executor.start()
        two = executor.submit(task_rank_and_size, {"num_tasks": 2})
        assert two.result(timeout=DEADLINE) == ("0", "2")  # rank 0 answers
        hard = executor.submit(exit_hard, {}, 5)
        with pytest.raises(AppException, match="5"):
            hard.result(timeout=DEADLINE)


@require_fluxs
def test_unsatisfiable_resources(make_executor):
    with make_executor() as executor:
        executor.start()
        future = executor.submit(multiply, {"num_nodes": 1000, "num_tasks": 1000}, 1, 1)
        assert future.exception(timeout=DEADLINE) is not None
        # The executor still works.
        assert executor.submit(multiply, {}, 2, 2).result(timeout=DEADLINE) == 4


@require_fluxs
def test_shutdown_refuses(make_executor):
    executor = make_executor()
    executor.start()
    assert executor.submit(multiply, {}, 3, 3).result(timeout=DEADLINE) == 9
    executor.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(multiply, {}, 1, 1)


@require_fluxs
def test_through_parsl(make_executor, tmp_path):
    import parsl
    from parsl.config import Config

    @parsl.python_app
    def add(a, b):
        return a + b

    @parsl.bash_app
    def echo(text, stdout=None):
        return f"echo {text}"

    executor = make_executor(label="fluxs_ex")
    dfk = parsl.load(Config(executors=[executor], run_dir=str(tmp_path / "runinfo")))
    try:
        assert add(2, 3).result(timeout=DEADLINE) == 5
        out = tmp_path / "echo.out"
        echo("hello", stdout=str(out)).result(timeout=DEADLINE)
        assert out.read_text().strip() == "hello"
    finally:
        dfk.cleanup()


@require_fluxs
def test_instance_that_never_comes_up(make_executor):
    if make_executor.mode != "nested":
        pytest.skip("only the nested instance is started by the executor")
    with make_executor(launch_cmd="echo no instance today; exit 3") as executor:
        executor.start()
        future = executor.submit(multiply, {}, 1, 1)
        exc = future.exception(timeout=DEADLINE)
        assert isinstance(exc, RuntimeError)
        assert "ended" in str(exc)


@require_fluxs
def test_shutdown_at_once(make_executor):
    # Shut down with nothing to do, perhaps before the instance is up: it
    # returns, and what the executor started has ended (the fixture checks).
    executor = make_executor()
    executor.start()
    executor.shutdown()
    assert not executor._thread.is_alive()


@require_fluxs
def test_shutdown_waits_for_queued_apps(make_executor):
    executor = make_executor()
    executor.start()
    futures = [executor.submit(multiply, {}, i, 5) for i in range(3)]
    executor.shutdown()
    assert all(f.done() for f in futures)
    assert [f.result() for f in futures] == [0, 5, 10]


def hostnames_and_ranks():
    import os
    return os.environ.get("FLUXS_TASK_RANK"), os.environ.get("FLUXS_JOB_NNODES")


@require_fluxs
def test_on_a_fluxs_batch_block(tmp_path, monkeypatch):
    # The instance is a fluxs batch job of the instance under test, made by
    # FluxsProvider: a child of two nodes, whose apps may span both.
    uri = os.environ.get("FLUXS_URI")
    if not uri:
        pytest.skip("FLUXS_URI is not set: no fluxs instance")
    import subprocess

    from parsl.launchers import SimpleLauncher

    from parsl_fluxs import FluxsProvider

    size = int(subprocess.run(["fluxs", "getattr", "size"], check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout)
    if size < 2:
        pytest.skip("needs an instance of 2 nodes or more")
    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (here, _BINDINGS, os.environ.get("PYTHONPATH")) if p))
    provider = FluxsProvider(nodes_per_block=2, walltime="00:30:00", launcher=SimpleLauncher(),
                             uri=uri)
    executor = FluxsExecutor(provider=provider, working_dir=str(tmp_path / "ex"))
    assert executor.launch_cmd == FluxsExecutor.BATCH_LAUNCH_CMD
    try:
        executor.start()
        assert executor.submit(multiply, {}, 6, 7).result(timeout=DEADLINE) == 42
        spanning = executor.submit(hostnames_and_ranks, {"num_tasks": 2, "num_nodes": 2})
        assert spanning.result(timeout=DEADLINE) == ("0", "2")
    finally:
        executor.shutdown()
    # The block ended by itself once told to stop: it completed.
    status = provider.status([executor._job_id])[0]
    assert status.state.name == "COMPLETED", status
