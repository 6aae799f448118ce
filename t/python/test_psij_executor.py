"""Tests of the PSI/J executor for fluxs (bindings/python/psij_fluxs) against a real instance.

Run with the clients' virtualenv (psij-python 0.9.11, pytest) inside an instance of at
least two nodes, for example:

    fluxs start --test-size=2 .venv-clients/bin/pytest t/python/test_psij_executor.py

The instance is the one FLUXS_URI names (the fixture ``fluxs_uri``; a conftest may
provide its own); without one, the tests that need it are skipped. Every wait is bounded
(WAIT), and no test depends on how fast the machine is: a test that needs a job running
waits for PSI/J to report it ACTIVE.
"""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

BINDINGS = Path(__file__).resolve().parents[2] / 'bindings' / 'python'
sys.path.insert(0, str(BINDINGS))

psij = pytest.importorskip('psij')
from psij import Job, JobAttributes, JobSpec, JobState, ResourceSpecV1  # noqa: E402
from psij.executors.batch.batch_scheduler_executor import InvalidJobStateError  # noqa: E402

from psij_fluxs.executor import FluxsExecutorConfig, FluxsJobExecutor, \
    format_duration  # noqa: E402

WAIT = timedelta(seconds=90)


@pytest.fixture(scope='module')
def fluxs_uri() -> str:
    """The URI of the instance under test: FLUXS_URI, or skip."""
    uri = os.environ.get('FLUXS_URI')
    if not uri:
        pytest.skip('FLUXS_URI is not set: run under fluxs start')
    return uri


@pytest.fixture(scope='module')
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private PSI/J work directory (scripts, launchers, .out and .ec files)."""
    return tmp_path_factory.mktemp('psij-work')


@pytest.fixture(scope='module')
def executor(fluxs_uri: str, workdir: Path) -> Iterator[FluxsJobExecutor]:
    """One executor for the module's jobs, submitting to ``fluxs_uri``."""
    yield FluxsJobExecutor(url=fluxs_uri,
                           config=FluxsExecutorConfig(work_directory=workdir))


def _wait(job: Job, *states: JobState) -> psij.JobStatus:
    status = job.wait(timeout=WAIT, target_states=list(states) or None)
    assert status is not None, 'job %s (%s) still %s after %s' % (
        job.id, job.native_id, job.status, WAIT)
    return status


def _run(executor: FluxsJobExecutor, spec: JobSpec) -> psij.JobStatus:
    job = Job(spec)
    executor.submit(job)
    assert job.native_id and job.native_id.startswith('f')
    return _wait(job)


# ---- without an instance ----

def test_format_duration() -> None:
    assert format_duration(3700.5) == '3701s'
    assert format_duration(600) == '600s'
    assert format_duration(0.2) == '1s'


def test_script_directives(workdir: Path) -> None:
    ex = FluxsJobExecutor(config=FluxsExecutorConfig(work_directory=workdir))
    spec = JobSpec('/bin/echo', ['a b'], directory='/tmp/some dir', launcher='single',
                   resources=ResourceSpecV1(node_count=2, processes_per_node=3,
                                            exclusive_node_use=True),
                   attributes=JobAttributes(duration=timedelta(seconds=3700.5),
                                            queue_name='batch', account='acct1',
                                            reservation_id='resv1',
                                            custom_attributes={
                                                'fluxs.user.tag': 'x',
                                                'fluxs.requires': 'host:vm',
                                                'fluxs.user.n': 3,
                                                'slurm.qos': 'ignored'}))
    job = Job(spec)
    out = Path(workdir, 'script.sh')
    with out.open('w') as f:
        ex.generate_submit_script(job, ex._create_script_context(job), f)
    lines = out.read_text().splitlines()
    directives = [line[len('# fluxs: '):] for line in lines if line.startswith('# fluxs: ')]
    assert lines[0] == '#!/bin/bash'
    for d in ['--nodes=2', '--exclusive', '--time-limit=3701s', '--queue=batch',
              '--setattr=system.bank=acct1', '--setattr=system.reservation=resv1',
              '--setattr=user.tag=x', '--requires=host:vm', '--setattr=user.n=3',
              "'--cwd=/tmp/some dir'", '--job-name=echo']:
        assert d in directives
    assert not any('qos' in d for d in directives)
    # three processes on each of two nodes: each host written three times
    assert any('_PSIJ_I < 3' in line for line in lines)


def test_one_process_asks_one_slot(workdir: Path) -> None:
    ex = FluxsJobExecutor(config=FluxsExecutorConfig(work_directory=workdir))
    job = Job(JobSpec('/bin/true', resources=ResourceSpecV1(cpu_cores_per_process=2)))
    assert ex._directives(job)[:2] == ['--ntasks=1', '--cores-per-task=2']


def test_parse_status_output() -> None:
    ex = FluxsJobExecutor()
    ex.get_status_command(['fA', 'fB', 'fC', 'fD', 'fE', 'fF'])
    out = '\n'.join([
        '\u0192A|SCHED||||',
        'fB|RUN||||',
        'fC|INACTIVE|COMPLETED|0||',
        'fD|INACTIVE|FAILED|3||',
        'fE|INACTIVE|CANCELED|-15|cancel|',
        'fF|INACTIVE|TIMEOUT|-15|timeout|resource allocation expired',
    ])
    st = ex.parse_status_output(0, out)
    assert st['fA'].state == JobState.QUEUED
    assert st['fB'].state == JobState.ACTIVE
    assert st['fC'].state == JobState.COMPLETED
    assert st['fD'].state == JobState.FAILED and st['fD'].exit_code == 3
    assert st['fE'].state == JobState.CANCELED
    assert st['fF'].state == JobState.FAILED and 'time limit' in st['fF'].message
    with pytest.raises(RuntimeError):
        ex.parse_status_output(1, 'fluxs-jobs: error: cannot connect to the instance')
    # an id the instance does not know, as Flux's flux-jobs reports it (exit 0)
    ex.get_status_command(['fA', 'fB'])
    st = ex.parse_status_output(0, 'fA|RUN||||\nJobID \u0192B unknown')
    assert st['fA'].state == JobState.ACTIVE
    assert st['fB'].state == JobState.FAILED and 'unknown' in st['fB'].message


def test_descriptor_discovery() -> None:
    """PSI/J finds the executor by name with bindings/python on PYTHONPATH."""
    env = dict(os.environ, PYTHONPATH=str(BINDINGS))
    code = ('import psij; ex = psij.JobExecutor.get_instance("fluxs"); '
            'print(type(ex).__name__, ex.name, ex.version)')
    res = subprocess.run([sys.executable, '-c', code], env=env, timeout=60,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert res.returncode == 0, res.stdout
    assert res.stdout.split()[-3:] == ['FluxsJobExecutor', 'fluxs', '0.1.0']


# ---- against the instance ----

def test_success_with_stdout_stderr(executor: FluxsJobExecutor, tmp_path: Path) -> None:
    out, err = tmp_path / 'out', tmp_path / 'err'
    status = _run(executor, JobSpec('/bin/bash', ['-c', 'echo to-out; echo to-err >&2'],
                                    stdout_path=out, stderr_path=err))
    assert status.state == JobState.COMPLETED and status.exit_code == 0
    assert out.read_text() == 'to-out\n'
    assert err.read_text() == 'to-err\n'


def test_stdin(executor: FluxsJobExecutor, tmp_path: Path) -> None:
    inp, out = tmp_path / 'in', tmp_path / 'out'
    inp.write_text('from stdin\n')
    status = _run(executor, JobSpec('/bin/cat', stdin_path=inp, stdout_path=out))
    assert status.state == JobState.COMPLETED
    assert out.read_text() == 'from stdin\n'


def test_failing_exit_code(executor: FluxsJobExecutor) -> None:
    status = _run(executor, JobSpec('/bin/bash', ['-c', 'exit 7']))
    assert status.state == JobState.FAILED
    assert status.exit_code == 7


def test_environment(executor: FluxsJobExecutor, tmp_path: Path) -> None:
    out = tmp_path / 'out'
    spec = JobSpec('/bin/bash', ['-c', 'echo "$PSIJ_A|$PSIJ_B|$PSIJ_C"'], stdout_path=out,
                   environment={'PSIJ_A': 'two words', 'PSIJ_B': 5, 'PSIJ_C': "it's $x"})
    status = _run(executor, spec)
    assert status.state == JobState.COMPLETED
    assert out.read_text() == "two words|5|it's $x\n"


def test_directory(executor: FluxsJobExecutor, tmp_path: Path) -> None:
    out = tmp_path / 'out'
    status = _run(executor, JobSpec('/bin/pwd', directory=tmp_path, stdout_path=out))
    assert status.state == JobState.COMPLETED
    assert out.read_text().strip() == str(tmp_path)


def test_cancel_running(executor: FluxsJobExecutor) -> None:
    job = Job(JobSpec('/bin/sleep', ['300']))
    executor.submit(job)
    _wait(job, JobState.ACTIVE)
    job.cancel()
    assert _wait(job).state == JobState.CANCELED


def test_cancel_finished(executor: FluxsJobExecutor) -> None:
    job = Job(JobSpec('/bin/true'))
    executor.submit(job)
    assert _wait(job).state == JobState.COMPLETED
    # PSI/J's cancel of a finished job does nothing...
    job.cancel()
    assert job.status.state == JobState.COMPLETED
    # ...because fluxs cancel's answer for it raises InvalidJobStateError
    assert job.native_id is not None
    with pytest.raises(subprocess.CalledProcessError) as failed:
        executor._run_command(executor.get_cancel_command(job.native_id))
    with pytest.raises(InvalidJobStateError):
        executor.process_cancel_command_output(failed.value.returncode, failed.value.output)


def test_list(executor: FluxsJobExecutor) -> None:
    job = Job(JobSpec('/bin/true'))
    executor.submit(job)
    assert job.native_id in executor.list()
    _wait(job)


def test_attach(executor: FluxsJobExecutor, fluxs_uri: str, workdir: Path) -> None:
    job = Job(JobSpec('/bin/sleep', ['1']))
    executor.submit(job)
    assert job.native_id is not None
    _wait(job, JobState.ACTIVE, JobState.COMPLETED)
    # another executor, and the id in its UTF-8 form
    other = FluxsJobExecutor(url=fluxs_uri, config=FluxsExecutorConfig(work_directory=workdir))
    attached = Job()
    other.attach(attached, '\u0192' + job.native_id[1:])
    assert attached.native_id == job.native_id
    assert _wait(attached).state == JobState.COMPLETED
    assert _wait(job).state == JobState.COMPLETED


def test_attach_unknown_id(executor: FluxsJobExecutor) -> None:
    """An id the instance does not know fails that job only, not the others polled."""
    good, bogus = Job(JobSpec('/bin/true')), Job()
    executor.submit(good)
    executor.attach(bogus, 'fuzzzz')
    assert _wait(bogus).state == JobState.FAILED
    assert 'unknown' in (bogus.status.message or '')
    assert _wait(good).state == JobState.COMPLETED


def test_time_limit(executor: FluxsJobExecutor) -> None:
    spec = JobSpec('/bin/sleep', ['300'],
                   attributes=JobAttributes(duration=timedelta(seconds=1)))
    status = _run(executor, spec)
    assert status.state == JobState.FAILED
    assert 'time limit' in (status.message or '')


def _instance_size(uri: str) -> int:
    res = subprocess.run(['fluxs', 'getattr', 'size'], env=dict(os.environ, FLUXS_URI=uri),
                         stdout=subprocess.PIPE, text=True, timeout=60)
    return int(res.stdout) if res.returncode == 0 else 0


def test_two_nodes_nodefile(executor: FluxsJobExecutor, fluxs_uri: str,
                            tmp_path: Path) -> None:
    if _instance_size(fluxs_uri) < 2:
        pytest.skip('needs an instance of two nodes or more')
    out = tmp_path / 'out'
    spec = JobSpec('/bin/bash',
                   ['-c', 'wc -l <"$PSIJ_NODEFILE"; fluxs getattr size'],
                   stdout_path=out, launcher='single',
                   resources=ResourceSpecV1(node_count=2, processes_per_node=3))
    status = _run(executor, spec)
    assert status.state == JobState.COMPLETED, out.read_text()
    lines = out.read_text().split()
    assert lines[0] == '6'      # two nodes, three processes on each
    assert lines[1] == '2'      # the job's child instance spans two nodes


def test_multiple_launcher(executor: FluxsJobExecutor, tmp_path: Path) -> None:
    out = tmp_path / 'out'
    spec = JobSpec('/bin/echo', ['x'], stdout_path=out, launcher='multiple',
                   resources=ResourceSpecV1(process_count=3))
    status = _run(executor, spec)
    assert status.state == JobState.COMPLETED
    assert out.read_text() == 'x\n' * 3


def test_work_directory_is_cleaned(executor: FluxsJobExecutor, workdir: Path) -> None:
    job = Job(JobSpec('/bin/true'))
    executor.submit(job)
    _wait(job)
    fluxs_dir = workdir / 'fluxs'
    assert not list(fluxs_dir.glob(job.native_id + '.*'))
    assert not list(fluxs_dir.glob(job.id + '.*'))
