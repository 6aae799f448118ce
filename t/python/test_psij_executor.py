"""Tests of the PSI/J executor for fluxs (bindings/python/psij_fluxs) against a real instance.

Run with the clients' virtualenv (psij-python 0.9.11, pytest) inside an instance of at
least two nodes, for example:

    fluxs start --test-size=2 .venv-clients/bin/pytest t/python/test_psij_executor.py

The instance is the one FLUXS_URI names (the fixture ``fluxs_uri``; a conftest may
provide its own); without one, the tests that need it are skipped. Every wait is bounded
(WAIT), and no test depends on how fast the machine is: a test that needs a job running
waits for PSI/J to report it ACTIVE.
"""
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Iterator, List

import pytest

BINDINGS = Path(__file__).resolve().parents[2] / 'bindings' / 'python'
sys.path.insert(0, str(BINDINGS))

psij = pytest.importorskip('psij')
from psij import Job, JobAttributes, JobSpec, JobState, ResourceSpecV1, \
    SubmitException  # noqa: E402

import fluxs  # noqa: E402
from psij_fluxs.executor import FluxsExecutorConfig, FluxsJobExecutor, \
    format_duration, record_status  # noqa: E402

WAIT = timedelta(seconds=90)
#: No status polls (the first after an hour): statuses can only come from job events.
EVENTS_ONLY = dict(queue_polling_interval=3600, initial_queue_polling_delay=3600)


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
    """One executor for the module's jobs, submitting to ``fluxs_uri``, that never polls:
    every status its jobs reach comes from the instance's job events."""
    yield FluxsJobExecutor(url=fluxs_uri,
                           config=FluxsExecutorConfig(work_directory=workdir, **EVENTS_ONLY))


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


def test_record_status() -> None:
    def status(**record: object) -> psij.JobStatus:
        return record_status(record)
    assert status(state='SCHED').state == JobState.QUEUED
    assert status(state='CLEANUP').state == JobState.ACTIVE
    done = status(state='INACTIVE', result='COMPLETED', returncode=0,
                  exception={'occurred': False})
    assert done.state == JobState.COMPLETED and done.exit_code == 0
    failed = status(state='INACTIVE', result='FAILED', returncode=3,
                    exception={'occurred': False})
    assert failed.state == JobState.FAILED and failed.exit_code == 3
    assert failed.message is None
    canceled = status(state='INACTIVE', result='CANCELED', returncode=-15,
                      exception={'occurred': True, 'type': 'cancel', 'note': ''})
    assert canceled.state == JobState.CANCELED
    timeout = status(state='INACTIVE', result='TIMEOUT', returncode=-15,
                     exception={'occurred': True, 'type': 'timeout', 'note': 'expired'})
    assert timeout.state == JobState.FAILED and 'time limit' in timeout.message
    broken = status(state='INACTIVE', result='FAILED', returncode=1,
                    exception={'occurred': True, 'type': 'exec', 'note': 'no such file'})
    assert broken.message == 'fluxs: exec exception: no such file'


def _script(ex: FluxsJobExecutor, job: Job, workdir: Path) -> Path:
    """Writes the batch script of ``job`` as the executor makes it; returns its path."""
    text = io.StringIO()
    ex.generate_submit_script(job, ex._create_script_context(job), text)
    path = workdir / (job.id + '.job')
    path.write_text(text.getvalue())
    return path


def _comparable(jobspec: dict) -> dict:
    """``jobspec`` with the broker's path resolved (fluxs batch names the one beside
    itself, Python the one on PATH: the same file)."""
    command = jobspec['tasks'][0]['command']
    command[0] = os.path.realpath(command[0])
    return jobspec


@pytest.mark.parametrize('spec', [
    JobSpec('/bin/true'),
    JobSpec('/bin/true', resources=ResourceSpecV1(cpu_cores_per_process=2,
                                                  gpu_cores_per_process=1)),
    JobSpec('/bin/true', name='named', resources=ResourceSpecV1(process_count=3)),
    JobSpec('/bin/echo', ['a b'], directory='/tmp/some dir', inherit_environment=False,
            resources=ResourceSpecV1(node_count=2, processes_per_node=3,
                                     exclusive_node_use=True, gpu_cores_per_process=2),
            attributes=JobAttributes(duration=timedelta(seconds=3700.5), queue_name='batch',
                                     account='acct1', reservation_id='resv1',
                                     custom_attributes={
                                         'fluxs.user.tag': 'x', 'fluxs.user.n': 3,
                                         'fluxs.user.s': '12', 'fluxs.job.name': 'renamed',
                                         'fluxs.setopt': 'opt={"a":1}',
                                         'fluxs.urgency': 'hold',
                                         'fluxs.flags': 'waitable'})),
], ids=['default', 'cores-gpus', 'processes', 'everything'])
def test_jobspec_is_fluxs_batch_jobspec(workdir: Path, spec: JobSpec) -> None:
    """The executor submits what ``fluxs batch --dry-run SCRIPT`` prints for its script,
    run as the executor would run it (with FLUXS_URI from its url)."""
    if shutil.which('fluxs') is None:
        pytest.skip('fluxs is not in PATH')
    uri = 'local:///nowhere/local'
    ex = FluxsJobExecutor(url=uri, config=FluxsExecutorConfig(work_directory=workdir))
    job = Job(spec)
    path = _script(ex, job, workdir)
    built = ex._batch_jobspec(ex._options(job), path.read_text(), path.name)
    assert built is not None
    # (os.environ: the process's environment may hold more, put there by pytest)
    res = subprocess.run(['fluxs', 'batch', '--dry-run', str(path)], timeout=60,
                         env=dict(os.environ, FLUXS_URI=uri), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert res.returncode == 0, res.stderr
    assert _comparable(built[0].jobspec) == _comparable(json.loads(res.stdout))
    custom = spec.attributes.custom_attributes if spec.attributes else None
    assert built[1] == (0 if custom else 16)


def test_command_line_options_use_fluxs_batch(workdir: Path) -> None:
    """Options that only fluxs batch parses leave the jobspec to it."""
    ex = FluxsJobExecutor(config=FluxsExecutorConfig(work_directory=workdir))
    for key, value in [('requires', 'host:vm'), ('dependency', 'afterany:f1'),
                       ('begin-time', '+1s'), ('add-file', 'name=/etc/hostname'),
                       ('env', 'A=1'), ('env-remove', 'A*'), ('urgency', '99'),
                       ('flags', 'bogus')]:
        job = Job(JobSpec('/bin/true', attributes=JobAttributes(
            custom_attributes={'fluxs.' + key: value})))
        assert ex._batch_jobspec(ex._options(job), '#!/bin/sh\n', 'x.job') is None, key


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
    # ...and neither does the executor's when the job's end is not known yet
    job._status = psij.JobStatus(JobState.ACTIVE)
    executor.cancel(job)
    with pytest.raises(SubmitException):
        executor.cancel(Job())


def test_list(executor: FluxsJobExecutor) -> None:
    job = Job(JobSpec('/bin/true'))
    executor.submit(job)
    assert job.native_id in executor.list()
    _wait(job)


def test_attach(executor: FluxsJobExecutor, fluxs_uri: str, workdir: Path) -> None:
    """Another executor follows jobs by id: one that has ended (its record read at once),
    and one running, whose end comes by its events."""
    running, done = Job(JobSpec('/bin/sleep', ['300'])), Job(JobSpec('/bin/true'))
    executor.submit(running)
    executor.submit(done)
    _wait(running, JobState.ACTIVE)
    _wait(done)
    assert running.native_id is not None and done.native_id is not None
    other = FluxsJobExecutor(url=fluxs_uri,
                             config=FluxsExecutorConfig(work_directory=workdir, **EVENTS_ONLY))
    attached_running, attached_done = Job(), Job()
    # the id in its UTF-8 form too
    other.attach(attached_running, '\u0192' + running.native_id[1:])
    other.attach(attached_done, done.native_id)
    assert attached_running.native_id == running.native_id
    assert attached_running.status.state == JobState.ACTIVE
    assert attached_done.status.state == JobState.COMPLETED
    running.cancel()
    assert _wait(attached_running).state == JobState.CANCELED
    assert _wait(running).state == JobState.CANCELED


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


def test_status_sequence_from_events(executor: FluxsJobExecutor) -> None:
    """Each state once, in order, with no polling: QUEUED, ACTIVE, COMPLETED."""
    seen: List[JobState] = []
    job = Job(JobSpec('/bin/true'))
    job.set_job_status_callback(lambda _job, status: seen.append(status.state))
    executor.submit(job)
    assert _wait(job).state == JobState.COMPLETED
    assert seen == [JobState.QUEUED, JobState.ACTIVE, JobState.COMPLETED]


def test_concurrent_submissions(executor: FluxsJobExecutor) -> None:
    """Jobs submitted from several threads at once all get their events."""
    jobs = [[Job(JobSpec('/bin/true')) for _ in range(8)] for _ in range(3)]
    errors: List[BaseException] = []

    def submit(batch: List[Job]) -> None:
        try:
            for job in batch:
                executor.submit(job)
        except BaseException as err:  # reported by the test's thread
            errors.append(err)

    threads = [threading.Thread(target=submit, args=(batch,)) for batch in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT.total_seconds())
    assert not errors
    assert all(_wait(job).state == JobState.COMPLETED for batch in jobs for job in batch)


def test_submission_through_fluxs_batch(executor: FluxsJobExecutor) -> None:
    """A job with an option only fluxs batch parses runs, followed by its events too."""
    first = Job(JobSpec('/bin/true'))
    executor.submit(first)
    assert first.native_id is not None
    spec = JobSpec('/bin/true', attributes=JobAttributes(
        custom_attributes={'fluxs.dependency': 'afterany:' + first.native_id}))
    assert _run(executor, spec).state == JobState.COMPLETED
    assert _wait(first).state == JobState.COMPLETED


def test_refused_submission(executor: FluxsJobExecutor) -> None:
    spec = JobSpec('/bin/true', resources=ResourceSpecV1(node_count=1000))
    with pytest.raises(SubmitException) as refused:
        executor.submit(Job(spec))
    assert 'fluxs: ' in str(refused.value)


def test_safety_poll(fluxs_uri: str, workdir: Path) -> None:
    """The status thread's poll reads the records of the jobs it follows: their states,
    and FAILED for an id the instance does not know."""
    ex = FluxsJobExecutor(url=fluxs_uri,
                          config=FluxsExecutorConfig(work_directory=workdir, **EVENTS_ONLY))
    handle = fluxs.Flux(fluxs_uri)
    # a connection without a journal: no event reaches the executor, only the polls
    # that the test makes
    ex._handle = handle
    try:
        spec = fluxs.job.JobspecV1.from_command(['sleep', '300'],
                                                environment=dict(os.environ), cwd='/')
        running_id = fluxs.job.submit(handle, spec)
        running, bogus = Job(), Job()
        for job, native_id in ((running, running_id.f58plain), (bogus, 'fuzzzz')):
            job._native_id = native_id
            job.executor = ex
            ex._status.register_job(job)
        ex._status._poll()
        assert running.status.state in (JobState.QUEUED, JobState.ACTIVE)
        assert bogus.status.state == JobState.FAILED
        assert 'unknown' in (bogus.status.message or '')
        fluxs.job.event_wait(handle, running_id, 'start')
        ex._status._poll()
        assert running.status.state == JobState.ACTIVE
        fluxs.job.cancel(handle, running_id)
        fluxs.job.event_wait(handle, running_id, 'clean', raiseJobException=False)
        ex._status._poll()
        assert running.status.state == JobState.CANCELED
    finally:
        handle.close()


def test_unreachable_instance(tmp_path: Path) -> None:
    ex = FluxsJobExecutor(url='local://%s' % (tmp_path / 'no-socket'),
                          config=FluxsExecutorConfig(work_directory=tmp_path))
    with pytest.raises(SubmitException) as failed:
        ex.submit(Job(JobSpec('/bin/true')))
    assert 'cannot reach the instance' in str(failed.value)


def test_attach_not_an_id(executor: FluxsJobExecutor) -> None:
    job = Job()
    executor.attach(job, 'not-an-id')
    assert job.status.state == JobState.FAILED
    assert 'not a job id' in (job.status.message or '')


def test_lost_connection(fluxs_uri: str, workdir: Path) -> None:
    """When the executor's connection goes, the jobs it follows fail; the next submission
    connects again."""
    ex = FluxsJobExecutor(url=fluxs_uri,
                          config=FluxsExecutorConfig(work_directory=workdir, **EVENTS_ONLY))
    job = Job(JobSpec('/bin/sleep', ['300']))
    ex.submit(job)
    _wait(job, JobState.ACTIVE)
    assert ex._handle is not None and job.native_id is not None
    ex._handle._sock.shutdown(socket.SHUT_RDWR)  # as when the broker goes
    status = _wait(job)
    assert status.state == JobState.FAILED
    assert 'lost the connection' in (status.message or '')
    again = Job(JobSpec('/bin/true'))
    ex.submit(again)
    assert _wait(again).state == JobState.COMPLETED
    fluxs.job.cancel(ex._connect(), job.native_id)  # the job itself still runs
