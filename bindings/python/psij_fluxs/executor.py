"""A PSI/J job executor for fluxs, written on PSI/J's batch scheduler executor.

How a PSI/J job maps onto fluxs (see fluxs-batch(1), fluxs-python(7)):

- **Submit.** Each job becomes a batch script, rendered from ``fluxs.mustache`` beside
  this file. Its ``# fluxs:`` directives list the job's options (size, time limit,
  queue, ...), and the executor submits, through the Python API (``fluxs.job.submit``),
  the jobspec that ``fluxs batch SCRIPT`` would make of the script: the directives say
  exactly what was asked. A job with an option that only the command line parses
  (``--requires``, ``--dependency``, ``--begin-time``, ``--add-file``, environment rules
  other than ``-*`` and a variable's name) is submitted with ``fluxs batch SCRIPT``
  itself. The script runs in a child instance on the job's resources; it writes
  ``PSIJ_NODEFILE``, runs the PSI/J launcher (``single``, ``multiple`` or ``mpirun``)
  with its output in ``<work_dir>/<job.id>.out``, writes the launcher's exit code to
  ``<work_dir>/<job.id>.ec`` and exits with it. The files are named by the PSI/J job's
  id (PSI/J's convention is the native id, which the script would have to ask the
  instance for: a command per job); a job attached by another :class:`~psij.Job` gets
  its exit code from the job's record instead.
- **Native ids** are the job ids in f58, always in the ASCII form ``f3NR1rfjNUi3``
  (fluxs prints ``ƒ`` in a UTF-8 locale and accepts both).
- **Status** comes from the instance's job events: each executor has one connection
  and one journal of the events of the user's jobs (``fluxs.job.JournalConsumer``),
  opened before its first submission, read by the executor's status thread (in place of
  PSI/J's queue poll thread, see :class:`_StatusThread`). A job's ``start`` makes it
  ACTIVE; its ``clean`` makes it final, from the job's record: DEPEND, PRIORITY,
  SCHED -> QUEUED; RUN, CLEANUP -> ACTIVE; INACTIVE -> COMPLETED, FAILED, CANCELED, or
  FAILED for TIMEOUT. Every ``queue_polling_interval`` seconds (5 by default) the thread
  also reads the records of the jobs it still follows, as a safety net.
- **Cancel** is ``fluxs.job.cancel``; a job that has already ended is left as it is.

Resources: a job of one process (the default) asks one task slot (``-n1``, with ``-c``
and ``-g`` from the spec); a job that names nodes, processes per node, exclusive use, or
more than one process asks whole nodes (``-N``), since PSI/J launchers place the
processes themselves. Memory is not a fluxs request and is ignored.
"""
import contextlib
import errno
import io
import json
import logging
import math
import os
import re
import shlex
import subprocess
import threading
import time
from pathlib import Path
from typing import Collection, Dict, IO, Iterator, List, Optional, Set, Tuple, cast

from packaging.version import Version
from psij import Job, JobExecutorConfig, JobState, JobStatus, ResourceSpecV1, \
    SubmitException
from psij.executors.batch.batch_scheduler_executor import BatchSchedulerExecutor, \
    BatchSchedulerExecutorConfig, UNKNOWN_ERROR, _QueuePollThread
from psij.executors.batch.script_generator import TemplatedScriptGenerator

import fluxs
from fluxs.job import EventLogEvent, JobID, JobList, JobspecV1, JournalConsumer

logger = logging.getLogger(__name__)

_PENDING = {'NEW', 'DEPEND', 'PRIORITY', 'SCHED'}
_RUNNING = {'RUN', 'CLEANUP'}
_RESULTS = {
    'COMPLETED': JobState.COMPLETED,
    'FAILED': JobState.FAILED,
    'CANCELED': JobState.CANCELED,
    'TIMEOUT': JobState.FAILED,
}

#: The job events the status thread follows.
_JOURNAL_EVENTS = ['start', 'clean']

#: Submission options that a custom attribute ``fluxs.KEY`` sets as ``--KEY=VALUE``;
#: every other key is a jobspec attribute, set with ``--setattr=KEY=VALUE``.
_OPTION_ATTRIBUTES = {'requires', 'dependency', 'begin-time', 'urgency', 'setopt',
                      'env', 'env-remove', 'add-file', 'flags'}

#: Variables a job keeps when ``inherit_environment`` is false.
_MINIMAL_ENVIRONMENT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'LANG']

#: The options giving a batch job's size, by the ``from_batch_command`` argument each
#: sets (``--gpus-per-node`` with ``-N``: one slot a node, so GPUs per slot).
_SHAPE_OPTIONS = {'ntasks': 'num_slots', 'cores-per-task': 'cores_per_slot',
                  'gpus-per-task': 'gpus_per_slot', 'gpus-per-node': 'gpus_per_slot',
                  'nodes': 'num_nodes'}
_URGENCY_NAMES = {'hold': 0, 'default': 16, 'expedite': 31}
_SUBMIT_FLAGS = {'waitable', 'novalidate', 'debug'}
_VARIABLE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def canonical_id(job_id: str) -> str:
    """Returns a fluxs f58 job id in its ASCII form: ``ƒ3NR1rfjNUi3`` -> ``f3NR1rfjNUi3``."""
    job_id = job_id.strip()
    if job_id.startswith('\u0192'):
        return 'f' + job_id[1:]
    return job_id


def format_duration(seconds: float) -> str:
    """Returns a duration as a Flux Standard Duration in whole seconds, rounded up.

    ``format_duration(3700.5) == '3701s'``: a job is never given less time than asked.
    """
    return '%ds' % max(1, math.ceil(seconds))


def record_status(record: Dict[str, object]) -> JobStatus:
    """The PSI/J status of a job's record, as ``job-manager.list`` returns it.

    A job that timed out is FAILED with a message saying so; one that failed with an
    exception has the exception's type and note as its message; a job not canceled has
    its return code (the batch script's exit code, or minus a signal's number) as exit
    code.
    """
    state = record.get('state')
    if state in _PENDING:
        return JobStatus(JobState.QUEUED)
    if state in _RUNNING:
        return JobStatus(JobState.ACTIVE)
    result = str(record.get('result', ''))
    exception = cast(Dict[str, object], record.get('exception') or {})
    psij_state = _RESULTS.get(result, JobState.FAILED)
    message = None
    if result == 'TIMEOUT':
        message = 'fluxs: the job exceeded its time limit'
    elif result == 'FAILED' and exception.get('occurred'):
        note = exception.get('note')
        message = 'fluxs: %s exception%s' % (exception.get('type'), ': %s' % note if note else '')
    returncode = record.get('returncode')
    exit_code = returncode if psij_state != JobState.CANCELED and isinstance(returncode, int) \
        else None
    return JobStatus(psij_state, message=message, exit_code=exit_code)


def _attribute(text: str, shell_option: bool) -> Optional[Tuple[str, object]]:
    """``KEY[=VALUE]`` of ``--setattr``, or of ``--setopt`` (``shell_option``), as fluxs
    reads it: the attribute's path (with ``system.`` in front unless it starts with
    ``system.``, ``user.`` or a dot, which is dropped), or the shell option's key (the
    same path without ``system.``), and the value: JSON if it parses, else the text, 1
    without one. None when fluxs would refuse it."""
    key, eq, raw = text.partition('=')
    value: object = 1
    if eq:
        try:
            value = json.loads(raw, parse_constant=_no_constant)
        except ValueError:
            value = raw
    if key in ('', '.'):
        return None
    if key.startswith('.'):
        key = key[1:]
    elif not key.startswith(('system.', 'user.')):
        key = 'system.' + key
    if shell_option:
        if key.startswith('user.'):
            return None
        if key.startswith('system.'):
            key = key[len('system.'):]
    return key, value


def _no_constant(name: str) -> object:
    """Refuses NaN and Infinity, which Python's json reads and JSON does not have."""
    raise ValueError('%s is not JSON' % name)


class FluxsExecutorConfig(BatchSchedulerExecutorConfig):
    """The configuration of :class:`FluxsJobExecutor`.

    The same settings as :class:`~psij.executors.batch.batch_scheduler_executor.
    BatchSchedulerExecutorConfig`; the polling ones govern the status thread's safety
    poll (every 5 seconds by default: job events give the status), and one more:

    fluxs_command
        The ``fluxs`` program to run for the submissions that need ``fluxs batch``: a
        name looked up in ``PATH`` or a path.
    """

    def __init__(self, launcher_log_file: Optional[Path] = None,
                 work_directory: Optional[Path] = None, queue_polling_interval: float = 5,
                 initial_queue_polling_delay: float = 5,
                 queue_polling_error_threshold: int = 2, keep_files: bool = False,
                 fluxs_command: str = 'fluxs'):
        """Creates a configuration; see the class description for the parameters."""
        super().__init__(launcher_log_file=launcher_log_file,
                         work_directory=work_directory,
                         queue_polling_interval=queue_polling_interval,  # type: ignore
                         initial_queue_polling_delay=initial_queue_polling_delay,  # type: ignore
                         queue_polling_error_threshold=queue_polling_error_threshold,
                         keep_files=keep_files)
        self.fluxs_command = fluxs_command

    @classmethod
    def _from_config(cls, config: JobExecutorConfig) -> 'FluxsExecutorConfig':
        new = cls()
        new.work_directory = config.work_directory
        new.launcher_log_file = config.launcher_log_file
        return new


class FluxsJobExecutor(BatchSchedulerExecutor):
    """A :class:`~psij.JobExecutor` that runs jobs in a fluxs instance.

    Jobs go to the instance that ``url`` names (a ``local://`` URI, as ``fluxs uri``
    prints), or else to the one ``FLUXS_URI`` names in the environment, as for every
    fluxs command: inside a fluxs job or under ``fluxs start``, that is the enclosing
    instance. The executor connects at its first submission (or attach, cancel, list)
    and keeps the connection; it may be used from several threads. See the module
    description for how jobs, resources and states map.

    Job attributes: ``duration`` becomes ``-t``; ``queue_name`` ``--queue``;
    ``account`` the attribute ``system.bank`` (Flux's accounting name for it);
    ``reservation_id`` the attribute ``system.reservation`` (recorded; fluxs has no
    reservations); a custom attribute ``fluxs.KEY`` becomes ``--KEY=VALUE`` for the
    submission options requires, dependency, begin-time, urgency, setopt, env,
    env-remove, add-file and flags, and ``--setattr=KEY=VALUE`` otherwise (a KEY without
    ``system.`` or ``user.`` in front is a ``system.`` attribute; a value that is not a
    string is written as JSON).
    """

    # PSI/J sets these when it makes the executor from its descriptor; set here too, so
    # that FluxsJobExecutor(...) can be made directly.
    _NAME_ = 'fluxs'
    _VERSION_ = Version('0.1.0')

    def __init__(self, url: Optional[str] = None,
                 config: Optional[FluxsExecutorConfig] = None):
        """
        Parameters
        ----------
        url
            The URI of the fluxs instance to submit to; by default ``FLUXS_URI``.
        config
            The executor's configuration; by default a :class:`FluxsExecutorConfig`.
        """
        config = self._get_config(config)
        # the connection, made at first use (the status thread, started by the base
        # class, waits for it)
        self._handle: Optional[fluxs.Flux] = None
        self._journal: Optional[JournalConsumer] = None
        self._connected = threading.Event()
        self._connect_lock = threading.Lock()
        # statuses are set one at a time (events, polls, submissions, attach)
        self._status_lock = threading.RLock()
        super().__init__(url=url, config=config)
        self.fluxs = config.fluxs_command
        self.generator = TemplatedScriptGenerator(config,
                                                  Path(__file__).parent / 'fluxs.mustache')

    def _get_config(self, config: Optional[JobExecutorConfig]) -> FluxsExecutorConfig:
        if config is None:
            return FluxsExecutorConfig()
        if isinstance(config, FluxsExecutorConfig):
            return config
        return FluxsExecutorConfig._from_config(config)

    # ---- the connection ----

    def _connect(self) -> fluxs.Flux:
        """Returns the executor's handle, connecting and starting the journal first if
        there is none. Raises ``SubmitException`` when the instance cannot be reached."""
        with self._connect_lock:
            if self._handle is None:
                handle = None
                try:
                    handle = fluxs.Flux(self.url)
                    journal = JournalConsumer(handle, events=_JOURNAL_EVENTS).start()
                except OSError as err:
                    if handle is not None:
                        handle.close()
                    raise SubmitException('fluxs: cannot reach the instance: %s'
                                          % (err.strerror or err)) from None
                self._handle, self._journal = handle, journal
                self._connected.set()
            return self._handle

    def _disconnect(self, journal: JournalConsumer) -> None:
        """Drops the connection of ``journal`` (lost): the next use connects again."""
        with self._connect_lock:
            if self._journal is journal:
                self._connected.clear()
                self._handle = self._journal = None
        journal.handle.close()

    def _start_queue_poll_thread(self) -> _QueuePollThread:
        """Starts the executor's :class:`_StatusThread` (PSI/J's hook for its poll thread)."""
        thread = _StatusThread(self.name + ' status thread',
                               cast(BatchSchedulerExecutorConfig, self.config), self)
        thread.start()
        return thread

    @property
    def _status(self) -> '_StatusThread':
        """The executor's status thread."""
        return cast(_StatusThread, self._queue_poll_thread)

    # ---- submission ----

    def submit(self, job: Job) -> None:
        """Submits ``job``: writes its batch script, then submits the jobspec that
        ``fluxs batch`` makes of it (see the module description).

        See :meth:`~psij.JobExecutor.submit`.

        Raises
        ------
        SubmitException
            The instance refused the job, or cannot be reached.
        """
        logger.info('Job %s: submitting', job.id)
        self._ensure_work_dir()
        self._check_job(job)
        handle = self._connect()
        text = io.StringIO()
        self.generate_submit_script(job, self._create_script_context(job), text)
        script = text.getvalue()
        script_path = self.work_directory / (job.id + '.job')
        script_path.write_text(script)
        built = self._batch_jobspec(self._options(job), script, script_path.name)
        with self._status.submitting():
            if built is None:
                native_id = self._submit_with_command(job, script_path)
            else:
                try:
                    native_id = fluxs.job.submit(handle, built[0], urgency=built[1]).f58plain
                except OSError as err:
                    raise SubmitException('fluxs: %s' % (err.strerror or err)) from None
            job._native_id = native_id
            logger.info('Job %s: native id: %s', job.id, native_id)
            self._set_job_status(job, JobStatus(JobState.QUEUED,
                                                metadata={'native_id': native_id}))
            self._status.register_job(job)

    def _submit_with_command(self, job: Job, script_path: Path) -> str:
        """Submits ``script_path`` with ``fluxs batch``; returns the native id."""
        try:
            out = self._run_command(self.get_submit_command(job, script_path))
        except subprocess.CalledProcessError as ex:
            raise SubmitException(ex.output) from None
        return self.job_id_from_submit_output(out)

    def generate_submit_script(self, job: Job, context: Dict[str, object],
                               submit_file: IO[str]) -> None:
        """Writes the batch script of ``job``: ``# fluxs:`` directives, then the launch.

        See :meth:`~psij.executors.batch.batch_scheduler_executor.BatchSchedulerExecutor.
        generate_submit_script`.
        """
        ctx = dict(context)
        ctx['fluxs'] = {
            'directives': self._directives(job),
            'ppn': self._resources(job)[1],
        }
        self.generator.generate_submit_script(job, ctx, submit_file)

    def _resources(self, job: Job) -> Tuple[List[str], int]:
        """Returns the resource options of ``job`` and its processes per node."""
        assert job.spec is not None
        res = job.spec.resources or ResourceSpecV1()
        if not isinstance(res, ResourceSpecV1):
            raise SubmitException('fluxs: unsupported resource specification version %s'
                                  % res.version)
        gpus = res.gpu_cores_per_process or 0
        nodes_asked = (res.node_count is not None or res.processes_per_node is not None
                       or res.exclusive_node_use or res.computed_process_count > 1)
        if not nodes_asked:
            opts = ['--ntasks=1']
            if res.cpu_cores_per_process:
                opts.append('--cores-per-task=%d' % res.cpu_cores_per_process)
            if gpus:
                opts.append('--gpus-per-task=%d' % gpus)
            return opts, 1
        ppn = res.computed_processes_per_node
        opts = ['--nodes=%d' % res.computed_node_count]
        if res.exclusive_node_use:
            opts.append('--exclusive')
        if gpus:
            opts.append('--gpus-per-node=%d' % (gpus * ppn))
        return opts, ppn

    def _options(self, job: Job) -> List[str]:
        """Returns the submission options of ``job``, each one word ``--NAME[=VALUE]``."""
        spec = job.spec
        assert spec is not None
        opts, _ = self._resources(job)
        name = spec.name
        if name and name == spec.executable:
            name = os.path.basename(name)
        if name:
            opts.append('--job-name=%s' % name)
        if spec.directory is not None:
            opts.append('--cwd=%s' % spec.directory)
        attrs = spec.attributes
        if attrs is not None:
            if attrs.duration is not None and attrs.duration.total_seconds() > 0:
                opts.append('--time-limit=%s' % format_duration(attrs.duration.total_seconds()))
            if attrs.queue_name:
                opts.append('--queue=%s' % attrs.queue_name)
            if attrs.account:
                opts.append('--setattr=system.bank=%s' % attrs.account)
            if attrs.reservation_id:
                opts.append('--setattr=system.reservation=%s' % attrs.reservation_id)
            for key, value in (attrs.custom_attributes or {}).items():
                prefix, _, rest = key.partition('.')
                if prefix.lower() != 'fluxs' or not rest:
                    continue
                text = value if isinstance(value, str) else json.dumps(value)
                if rest in _OPTION_ATTRIBUTES:
                    opts.append('--%s=%s' % (rest, text))
                else:
                    opts.append('--setattr=%s=%s' % (rest, text))
        if not spec.inherit_environment:
            opts.append('--env=-*')
            opts.extend('--env=%s' % name for name in _MINIMAL_ENVIRONMENT)
        # the batch output (the brokers' messages; the script redirects its own)
        opts.append('--output=%s' % (self.work_directory / (job.id + '.log')))
        for opt in opts:
            if '\n' in opt or '\r' in opt:
                raise SubmitException('fluxs: a job attribute holds a line break: %r' % opt)
        return opts

    def _directives(self, job: Job) -> List[str]:
        """Returns the submission options of ``job``, each quoted for a directive line."""
        return [shlex.quote(o) for o in self._options(job)]

    def _batch_jobspec(self, options: List[str], script: str,
                       name: str) -> Optional[Tuple[JobspecV1, int]]:
        """Returns the jobspec, and the urgency, that ``fluxs batch`` submits for
        ``script``, a file called ``name`` whose directives are ``options``, run with the
        executor's environment from the current directory; None when an option needs the
        command line (see the module description) or fluxs would refuse one."""
        shape: Dict[str, object] = {}
        settings = {'job-name': name, 'cwd': os.getcwd()}
        attributes: List[Tuple[str, object]] = []
        shell_options: List[Tuple[str, object]] = []
        source = dict(os.environ)
        if self.url:
            source['FLUXS_URI'] = self.url  # as _run_command gives fluxs batch
        environment = dict(source)
        urgency = _URGENCY_NAMES['default']
        for option in options:
            key, _, value = option[2:].partition('=')
            if key in _SHAPE_OPTIONS:
                shape[_SHAPE_OPTIONS[key]] = int(value)
            elif key == 'exclusive':
                shape['exclusive'] = True
            elif key in ('job-name', 'cwd', 'time-limit', 'queue', 'output'):
                settings[key] = value
            elif key in ('setattr', 'setopt'):
                pair = _attribute(value, shell_option=key == 'setopt')
                if pair is None:
                    return None
                (shell_options if key == 'setopt' else attributes).append(pair)
            elif key == 'env' and value == '-*':
                environment.clear()
            elif key == 'env' and _VARIABLE.fullmatch(value):
                if value in source:
                    environment[value] = source[value]
            elif key == 'urgency' and value in _URGENCY_NAMES:
                urgency = _URGENCY_NAMES[value]
            elif key == 'urgency' and re.fullmatch('[0-9]+', value) and int(value) <= 31:
                urgency = int(value)
            elif not (key == 'flags' and set(value.split(',')) <= _SUBMIT_FLAGS):
                return None
        try:
            spec = JobspecV1.from_batch_command(
                script, settings['job-name'], environment=environment, cwd=settings['cwd'],
                duration=settings.get('time-limit'), queue=settings.get('queue'), **shape)
            for path, val in attributes:
                spec.setattr(path, val)
            if 'output' in settings:  # as fluxs batch writes it: a path, no type
                spec.setattr_shell_option('output.stdout', {'path': settings['output']})
            for path, val in shell_options:
                spec.setattr_shell_option(path, val)
        except ValueError:
            return None  # fluxs batch says what is wrong
        return spec, urgency

    def get_submit_command(self, job: Job, submit_file_path: Path) -> List[str]:
        """Returns ``fluxs batch SCRIPT``, for the jobs that need it."""
        return [self.fluxs, 'batch', str(submit_file_path.absolute())]

    def job_id_from_submit_output(self, out: str) -> str:
        """Returns the job id that ``fluxs batch`` printed, in ASCII f58."""
        lines = [line for line in out.splitlines() if line.strip()]
        if not lines:
            raise SubmitException('fluxs batch printed no job id')
        return canonical_id(lines[-1])

    # ---- status, cancel, list, attach ----

    def _set_job_status(self, job: Job, status: JobStatus) -> None:
        """As PSI/J's, one status at a time: the status thread, submissions and attach
        may set them from their threads."""
        with self._status_lock:
            super()._set_job_status(job, status)

    def _query(self, native_ids: List[str]) -> Dict[str, JobStatus]:
        """Returns the status of the jobs ``native_ids`` from their records; a job the
        instance does not know is FAILED. Raises ``OSError`` when the query fails."""
        handle = self._handle
        if handle is None:
            raise OSError(errno.ENOTCONN, 'not connected to the instance')
        statuses: Dict[str, JobStatus] = {}
        try:
            records = JobList(handle, ids=native_ids, max_entries=0).fetch_jobs().get()['jobs']
        except FileNotFoundError:
            # some id is unknown: ask for each job, all at once
            futures = [(i, fluxs.job.job_list_id(handle, i)) for i in native_ids]
            records = []
            for native_id, future in futures:
                try:
                    records.append(future.get()['job'])
                except FileNotFoundError:
                    statuses[native_id] = JobStatus(
                        JobState.FAILED, message='fluxs: unknown job id %s' % native_id)
        for record in records:
            statuses[JobID(record['id']).f58plain] = record_status(record)
        return statuses

    def cancel(self, job: Job) -> None:
        """Cancels ``job``; a job that has already ended is left as it is.

        See :meth:`~psij.JobExecutor.cancel`.

        Raises
        ------
        SubmitException
            The job has no native id, or fluxs refused (another user's job, an unknown
            one, an unreachable instance).
        """
        if job.native_id is None:
            raise SubmitException('Job does not have a native ID.')
        if job.status.state.final:
            return
        try:
            fluxs.job.cancel(self._connect(), job.native_id)
        except OSError as err:
            if err.errno != errno.EINVAL:  # EINVAL: the job is inactive
                raise SubmitException('fluxs: cannot cancel %s: %s'
                                      % (job.native_id, err.strerror or err)) from None

    def list(self) -> List[str]:
        """Returns the native ids of all the user's jobs in the instance, in every state.

        See :meth:`~psij.JobExecutor.list`.
        """
        records = fluxs.job.job_list(self._connect(), max_entries=0).get()['jobs']
        return [JobID(record['id']).f58plain for record in records]

    def attach(self, job: Job, native_id: str) -> None:
        """Attaches ``job`` to the fluxs job ``native_id`` (any f58 form).

        See :meth:`~psij.executors.batch.batch_scheduler_executor.BatchSchedulerExecutor.
        attach`. The job's status is read at once, then follows its events; a job the
        instance does not know, or an id that is not one, ends FAILED.

        Raises
        ------
        SubmitException
            The instance cannot be reached.
        """
        native_id = canonical_id(native_id)
        job._native_id = native_id
        job.executor = self
        try:
            JobID(native_id)
        except ValueError:
            self._set_job_status(job, JobStatus(JobState.FAILED,
                                                message='fluxs: not a job id: %s' % native_id))
            return
        self._connect()
        self._status.register_job(job)
        try:
            status = self._query([native_id])[native_id]
        except (OSError, KeyError) as err:
            logger.warning('Job %s: cannot read the status of %s: %s', job.id, native_id, err)
            return  # the status thread's polls try again
        self._status.apply(self, native_id, status)

    # ---- PSI/J's command interface, not used ----

    def _not_used(self) -> None:
        """Raises ``NotImplementedError``: the executor does this through the Python API."""
        raise NotImplementedError('fluxs: the executor uses the Python API for this')

    def get_status_command(self, native_ids: Collection[str]) -> List[str]:
        """Not used: status comes from job events and records (see :class:`_StatusThread`)."""
        self._not_used()
        return []

    def parse_status_output(self, exit_code: int, out: str) -> Dict[str, JobStatus]:
        """Not used: status comes from job events and records (see :class:`_StatusThread`)."""
        self._not_used()
        return {}

    def get_cancel_command(self, native_id: str) -> List[str]:
        """Not used: :meth:`cancel` cancels through the Python API."""
        self._not_used()
        return []

    def process_cancel_command_output(self, exit_code: int, out: str) -> None:
        """Not used: :meth:`cancel` cancels through the Python API."""
        self._not_used()

    def get_list_command(self) -> List[str]:
        """Not used: :meth:`list` lists through the Python API."""
        self._not_used()
        return []

    # ---- running commands and files ----

    def _run_command(self, cmd: List[str]) -> str:
        """Runs a fluxs command; raises ``CalledProcessError`` with its output on failure.

        Output is read as UTF-8 whatever the locale (fluxs prints ``ƒ`` in ids), and the
        command gets ``FLUXS_URI`` from the executor's ``url`` when one was given.
        """
        env = None
        if self.url:
            env = dict(os.environ)
            env['FLUXS_URI'] = self.url
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, env=env)
        out = res.stdout.decode('utf-8', errors='replace')
        if res.returncode == 0:
            return out
        err = res.stderr.decode('utf-8', errors='replace')
        msg = '\n'.join(s for s in (out, err) if s) or UNKNOWN_ERROR
        raise subprocess.CalledProcessError(res.returncode, cmd, output=msg)

    def _read_aux_file(self, job: Optional[Job] = None, suffix: Optional[str] = None,
                       path: Optional[Path] = None) -> Optional[str]:
        """As PSI/J's, for the files named by the PSI/J job's id (see ``fluxs.mustache``)."""
        if path is None:
            assert job is not None and suffix is not None
            path = self.work_directory / (job.id + suffix)
        return super()._read_aux_file(job, suffix, path)

    def _delete_aux_file(self, job: Optional[Job] = None, suffix: Optional[str] = None,
                         path: Optional[Path] = None, force: bool = False) -> None:
        """As PSI/J's, for the files named by the PSI/J job's id (see ``fluxs.mustache``)."""
        if path is None:
            assert job is not None and suffix is not None
            path = self.work_directory / (job.id + suffix)
        super()._delete_aux_file(job, suffix, path, force)

    def _read_aux_files(self, job: Job, status: JobStatus) -> None:
        """As PSI/J's, removing the .out and .ec files it leaves."""
        super()._read_aux_files(job, status)
        # PSI/J's base class reads (and removes) .out only for failed jobs, and .ec only
        # for jobs not canceled: remove what is left before the final status is reported
        self._delete_aux_file(job, '.out')
        self._delete_aux_file(job, '.ec')

    def _clean_submit_script(self, job: Job) -> None:
        """As PSI/J's, removing the node file and the batch output too."""
        super()._clean_submit_script(job)
        self._delete_aux_file(job, '.nodefile')
        self._delete_aux_file(job, '.log')


class _StatusThread(_QueuePollThread):
    """The status thread of a :class:`FluxsJobExecutor`, in place of PSI/J's queue poll
    thread (which it extends for its job registry and polling settings).

    Once the executor is connected, it reads the executor's journal: a job's ``start``
    event makes it ACTIVE, and its ``clean`` event makes it final, with the status of its
    record then (:func:`record_status`: result, return code, exception), as attached
    jobs end too. Every ``queue_polling_interval`` seconds it also reads the records of
    all the jobs it still follows, a safety net; after more than
    ``queue_polling_error_threshold`` failed polls in a row, or when the connection is
    lost, the jobs it follows fail.

    An event may come before its job's submission has returned the id: while
    submissions are under way (:meth:`submitting`), an event of a job not followed waits
    for them to end.
    """

    def __init__(self, name: str, config: BatchSchedulerExecutorConfig,
                 executor: FluxsJobExecutor):
        super().__init__(name, config, executor)
        self._jobs_lock = threading.Condition(threading.RLock())  # type: ignore
        self._submitting: Set[object] = set()

    @contextlib.contextmanager
    def submitting(self) -> Iterator[None]:
        """Marks a submission under way, until its job is registered or it fails."""
        ticket = object()
        with self._jobs_lock:
            self._submitting.add(ticket)
        try:
            yield
        finally:
            with self._jobs_lock:
                self._submitting.discard(ticket)
                self._jobs_lock.notify_all()  # type: ignore

    def register_job(self, job: Job) -> None:
        """Follows ``job`` (its native id set) until its status is final."""
        with self._jobs_lock:
            super().register_job(job)
            self._jobs_lock.notify_all()  # type: ignore

    def apply(self, ex: FluxsJobExecutor, native_id: str, status: JobStatus) -> None:
        """Sets ``status`` on the jobs of ``native_id``, and stops following them if it
        is final."""
        with self._jobs_lock:
            jobs = list(self._jobs.get(native_id, ()))
            if status.state.final:
                self._jobs.pop(native_id, None)
        for job in jobs:
            ex._set_job_status(job, status)

    def run(self) -> None:
        """Reads the journal, and polls when it is time, until the executor is gone."""
        journal = None
        next_poll = time.monotonic() + self.config.initial_queue_polling_delay
        try:
            while not self.done:
                ex = self.executor()
                if ex is None:
                    return
                journal, connected = ex._journal, ex._connected
                del ex  # the executor goes when its user drops it: then this thread ends
                if journal is None:
                    connected.wait(1)
                    continue
                if time.monotonic() >= next_poll:
                    self._poll()
                    next_poll = time.monotonic() + self.config.queue_polling_interval
                try:
                    event = journal.poll(timeout=max(0.0, next_poll - time.monotonic()))
                except TimeoutError:
                    continue
                except (OSError, ValueError) as err:  # ValueError: a socket closed under it
                    self._lost(journal, err)
                    continue
                try:
                    self._on_event(event)
                except Exception:  # a bug: the thread goes on, and the polls
                    logger.exception('fluxs: failed to handle the event %s', event)
        finally:
            if journal is not None and self.executor() is None:
                journal.handle.close()

    def _on_event(self, event: EventLogEvent) -> None:
        """Applies a ``start`` or ``clean`` event to the jobs it is about."""
        native_id = event.jobid.f58plain
        with self._jobs_lock:
            under_way = set(self._submitting)
            while native_id not in self._jobs and under_way & self._submitting:
                self._jobs_lock.wait()  # type: ignore
            if native_id not in self._jobs:
                return  # a job of the user's that this executor does not follow
        ex = self.executor()
        if ex is None:
            return
        if event.name == 'start':
            self.apply(ex, native_id, JobStatus(JobState.ACTIVE))
        elif event.name == 'clean':
            try:
                status = ex._query([native_id])[native_id]
            except OSError as err:
                logger.warning('fluxs: cannot read the record of %s: %s', native_id, err)
                return  # the next poll reads it
            self.apply(ex, native_id, status)

    def _poll(self) -> None:
        """Reads the records of all the jobs followed, and applies their states."""
        ex = self.executor()
        with self._jobs_lock:
            native_ids = list(self._jobs)
        if ex is None or not native_ids:
            return
        try:
            statuses = ex._query(native_ids)
        except OSError as err:
            self._poll_error_count += 1
            logger.warning('fluxs: status poll failed: %s', err)
            if self._poll_error_count > self.config.queue_polling_error_threshold:
                self._poll_error_count = 0
                self._fail_all(ex, 'fluxs: status polls failed: %s' % err)
            return
        self._poll_error_count = 0
        for native_id, status in statuses.items():
            self.apply(ex, native_id, status)

    def _lost(self, journal: JournalConsumer, err: Exception) -> None:
        """Drops the lost connection of ``journal``, failing the jobs followed."""
        ex = self.executor()
        if ex is not None:
            ex._disconnect(journal)
            self._fail_all(ex, 'fluxs: lost the connection to the instance: %s'
                           % (getattr(err, 'strerror', None) or err))

    def _fail_all(self, ex: FluxsJobExecutor, message: str) -> None:
        """Fails all the jobs followed, with ``message``, and stops following them."""
        with self._jobs_lock:
            jobs = [job for jobs in self._jobs.values() for job in jobs]
            self._jobs.clear()
        for job in jobs:
            ex._set_job_status(job, JobStatus(JobState.FAILED, message=message))
