"""fluxs.job.JobspecV1: its constructors, setters and checks, and jobs made by each
constructor running in the instance."""

import json
import os

import pytest

import fluxs.job
from conftest import wait_job
from fluxs.job import Jobspec, JobspecV1


# -- from_command --------------------------------------------------------------------


def test_from_command_defaults():
    spec = JobspecV1.from_command(["hostname"])
    assert spec.version == 1
    assert spec.resources == [
        {"type": "slot", "count": 1, "label": "task", "with": [{"type": "core", "count": 1}]}
    ]
    assert spec.tasks == [{"command": ["hostname"], "slot": "task", "count": {"per_slot": 1}}]
    assert spec.attributes == {"system": {"duration": 0}}
    assert spec.duration == 0 and spec.cwd is None and spec.environment is None
    assert spec.stdout is None and spec.stderr is None and spec.stdin is None and spec.queue is None
    assert isinstance(spec, Jobspec)


def test_from_command_counts():
    spec = JobspecV1.from_command(["a", "b"], num_tasks=4, cores_per_task=2, gpus_per_task=1)
    (slot,) = spec.resources
    assert slot["count"] == 4
    assert slot["with"] == [{"type": "core", "count": 2}, {"type": "gpu", "count": 1}]
    spec = JobspecV1.from_command(["a"], num_tasks=3, num_nodes=2)
    (node,) = spec.resources
    assert node["type"] == "node" and node["count"] == 2 and "exclusive" not in node
    assert node["with"][0]["count"] == 2  # slots per node: ceil(3 / 2)
    assert spec.tasks[0]["count"] == {"total": 3}
    spec = JobspecV1.from_command(["a"], num_tasks=4, num_nodes=2, exclusive=True)
    assert spec.resources[0]["exclusive"] is True
    assert spec.tasks[0]["count"] == {"per_slot": 1}


def test_from_command_keywords(tmp_path):
    spec = JobspecV1.from_command(
        ["a"],
        duration="1.5m",
        environment={"A": "1", "N": 2},
        cwd=tmp_path,
        name="myjob",
        input="/dev/null",
        output="out.{{id}}",
        error="err.{{id}}",
        queue="batch",
    )
    assert spec.duration == 90
    assert spec.environment == {"A": "1", "N": "2"}
    assert spec.cwd == str(tmp_path)
    assert spec.getattr("system.job.name") == "myjob"
    assert spec.stdin == "/dev/null" and spec.stdout == "out.{{id}}" and spec.stderr == "err.{{id}}"
    assert spec.getattr("system.shell.options.output.stdout") == {"type": "file", "path": "out.{{id}}"}
    assert spec.queue == "batch"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_tasks": 0},
        {"num_tasks": -1},
        {"num_tasks": 1.5},
        {"num_tasks": "2"},
        {"num_tasks": True},
        {"num_tasks": None},
        {"cores_per_task": 0},
        {"cores_per_task": 2.0},
        {"gpus_per_task": -1},
        {"num_nodes": 0},
        {"num_tasks": 1, "num_nodes": 2},
        {"exclusive": True},
    ],
)
def test_from_command_bad_counts(kwargs):
    with pytest.raises(ValueError):
        JobspecV1.from_command(["a"], **kwargs)


@pytest.mark.parametrize("command", ["hostname", [], ["a", 1], None, [b"a"]])
def test_from_command_bad_command(command):
    with pytest.raises(TypeError):
        JobspecV1.from_command(command)


# -- setters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fsd,seconds",
    [(0, 0), (90, 90), (2.5, 2.5), ("30", 30), ("30s", 30), ("0.5s", 0.5), ("2m", 120), ("1.5h", 5400), ("1d", 86400)],
)
def test_duration(fsd, seconds):
    spec = JobspecV1.from_command(["a"])
    spec.duration = fsd
    assert spec.duration == seconds
    assert spec.getattr("system.duration") == seconds
    assert isinstance(spec.duration, int) == (seconds == int(seconds))


@pytest.mark.parametrize("fsd", ["", "abc", "1x", "-1", "-5m", "m", "inf", "nan", float("inf"), -3])
def test_bad_duration(fsd):
    spec = JobspecV1.from_command(["a"])
    with pytest.raises(ValueError):
        spec.duration = fsd
    assert spec.duration == 0


def test_setters(tmp_path):
    spec = JobspecV1.from_command(["a"])
    spec.cwd = tmp_path
    spec.environment = {"X": 1}
    spec.stdout = tmp_path / "out"
    spec.stderr = "err"
    spec.stdin = "in"
    spec.queue = "q"
    assert spec.cwd == str(tmp_path) and spec.environment == {"X": "1"}
    assert (spec.stdout, spec.stderr, spec.stdin, spec.queue) == (str(tmp_path / "out"), "err", "in", "q")
    assert spec.getattr("system.shell.options.input.stdin") == {"type": "file", "path": "in"}
    with pytest.raises(TypeError):
        spec.environment = ["X=1"]


def test_setattr_getattr():
    spec = JobspecV1.from_command(["a"])
    spec.setattr("system.job.name", "n1")
    assert spec.getattr("system.job.name") == "n1"
    assert spec.getattr("attributes.system.job.name") == "n1"
    spec.setattr("attributes.user.mine", {"k": [1, 2]})
    assert spec.getattr("user.mine") == {"k": [1, 2]}
    assert spec.jobspec["attributes"]["user"]["mine"] == {"k": [1, 2]}
    with pytest.raises(KeyError):
        spec.getattr("system.nothing")
    with pytest.raises(KeyError):
        spec.getattr("user.mine.k.deeper")
    with pytest.raises(ValueError):
        spec.setattr("", 1)
    with pytest.raises(ValueError):
        spec.setattr("system..x", 1)
    with pytest.raises(ValueError):
        spec.setattr("system.job.name.sub", 1)  # name is a string, not a table
    spec.setattr_shell_option("verbose", 2)
    assert spec.getattr("system.shell.options.verbose") == 2


def test_dumps_copy():
    spec = JobspecV1.from_command(["a"], num_tasks=2)
    text = spec.dumps()
    assert json.loads(text) == spec.jobspec == json.loads(str(spec))
    back = JobspecV1.from_json(text)
    assert back.jobspec == spec.jobspec and isinstance(back, JobspecV1)
    clone = spec.copy()
    clone.setattr("system.job.name", "clone")
    with pytest.raises(KeyError):
        spec.getattr("system.job.name")
    assert Jobspec.from_dict(spec.jobspec).tasks == spec.tasks
    with pytest.raises(TypeError):
        Jobspec.from_dict([1])
    with pytest.raises(TypeError):
        Jobspec({"type": "slot"}, [])


# -- from_batch_command and from_nest_command -----------------------------------------


def test_from_batch_command():
    script = "#!/bin/sh\necho hi\n"
    spec = JobspecV1.from_batch_command(script, "mybatch", args=["x", "y"], num_slots=2, num_nodes=2)
    command = spec.tasks[0]["command"]
    assert os.path.basename(command[0]) == "fluxs-broker"
    assert command[-4:] == ["--", "{{tmpdir}}/script", "x", "y"]
    assert spec.getattr("system.files.script") == {"data": script, "mode": 0o700}
    assert spec.getattr("system.job.name") == "mybatch"
    assert spec.stdout == "fluxs-{{id}}.out"
    assert spec.getattr("system.shell.options.per-resource") == {"type": "node", "count": 1}
    assert spec.getattr("system.shell.options.exit-on-error") == 1
    assert spec.resources[0]["type"] == "node" and spec.resources[0]["exclusive"] is True
    spec = JobspecV1.from_batch_command(script, "b", output="mine.out", broker_opts=["-Sx=1"])
    assert spec.stdout == "mine.out" and spec.tasks[0]["command"][1] == "-Sx=1"
    with pytest.raises(ValueError):
        JobspecV1.from_batch_command("echo no shebang\n", "bad")
    with pytest.raises(ValueError):
        JobspecV1.from_batch_command(script, "bad", num_slots=0)


def test_from_nest_command():
    spec = JobspecV1.from_nest_command(["fluxs", "run", "true"], num_slots=2, cores_per_slot=2, name="nest")
    command = spec.tasks[0]["command"]
    assert os.path.basename(command[0]) == "fluxs-broker"
    assert command[1:] == ["--", "fluxs", "run", "true"]
    assert spec.resources[0] == {"type": "slot", "count": 2, "label": "task", "with": [{"type": "core", "count": 2}]}
    assert spec.getattr("system.job.name") == "nest"
    assert "--" not in JobspecV1.from_nest_command([]).tasks[0]["command"]
    with pytest.raises(ValueError):
        JobspecV1.from_nest_command(["true"], cores_per_slot=-2)


# -- running -------------------------------------------------------------------------


def test_run_from_command(handle, jobspec, tmp_path):
    spec = jobspec(["sh", "-c", 'echo "out $PYTEST_MARK $(pwd)"; echo err >&2'], num_tasks=2, duration="5m")
    spec.environment = dict(os.environ, PYTEST_MARK="marked")
    spec.stdout = str(tmp_path / "job.out")
    spec.stderr = str(tmp_path / "job.err")
    jobid = fluxs.job.submit(handle, spec)
    assert wait_job(handle, jobid) == (jobid, True, "")
    assert (tmp_path / "job.out").read_text().splitlines() == [f"out marked {tmp_path}"] * 2
    assert (tmp_path / "job.err").read_text().splitlines() == ["err"] * 2
    info = fluxs.job.result(handle, jobid)
    assert info.ntasks == 2 and info.duration == 300 and info.result == "COMPLETED"


def test_run_stdin(handle, jobspec, tmp_path):
    (tmp_path / "in").write_text("from a file\n")
    spec = jobspec(["cat"], input=str(tmp_path / "in"), output=str(tmp_path / "out"))
    jobid = fluxs.job.submit(handle, spec)
    assert wait_job(handle, jobid).success
    assert (tmp_path / "out").read_text() == "from a file\n"


def test_run_on_two_nodes(handle, jobspec, tmp_path):
    size = int(handle.attr_get("size"))
    if size < 2:
        pytest.skip("needs an instance of two brokers")
    spec = jobspec(["hostname"], num_tasks=2, num_nodes=2, output=str(tmp_path / "out"))
    jobid = fluxs.job.submit(handle, spec)
    assert wait_job(handle, jobid).success
    assert len((tmp_path / "out").read_text().splitlines()) == 2
    info = fluxs.job.result(handle, jobid)
    assert info.nnodes == 2 and info.ranks in ("0-1", "[0-1]", "0,1")


def test_run_from_batch_command(handle, tmp_path):
    script = "#!/bin/sh\nfluxs submit --wait sh -c 'echo inner job' && echo \"batch $1\"\n"
    spec = JobspecV1.from_batch_command(
        script, "pytest-batch", args=["arg1"], environment=dict(os.environ), cwd=str(tmp_path), duration="10m"
    )
    jobid = fluxs.job.submit(handle, spec)
    assert wait_job(handle, jobid) == (jobid, True, "")
    output = (tmp_path / f"fluxs-{jobid.f58plain}.out")
    if not output.exists():
        output = tmp_path / f"fluxs-{jobid}.out"
    assert output.read_text().splitlines()[-1] == "batch arg1", output.read_text()
    info = fluxs.job.result(handle, jobid)
    assert info.name == "pytest-batch" and info.memo and info.memo["uri"].startswith("local://")


def test_run_from_nest_command(handle, tmp_path):
    spec = JobspecV1.from_nest_command(
        ["sh", "-c", "fluxs run echo nested && fluxs getattr size"],
        environment=dict(os.environ),
        cwd=str(tmp_path),
        duration="10m",
    )
    spec.stdout = str(tmp_path / "nest.out")
    jobid = fluxs.job.submit(handle, spec)
    assert wait_job(handle, jobid) == (jobid, True, "")
    assert (tmp_path / "nest.out").read_text().split() == ["nested", "1"]


def test_run_failing_nest(handle, tmp_path):
    spec = JobspecV1.from_nest_command(["sh", "-c", "exit 3"], environment=dict(os.environ), cwd=str(tmp_path))
    jobid = fluxs.job.submit(handle, spec)
    status = wait_job(handle, jobid)
    assert not status.success and "3" in status.errstr
    assert fluxs.job.result(handle, jobid).returncode == 3
