"""A PSI/J job executor for fluxs, written on PSI/J's batch scheduler executor.

How a PSI/J job maps onto fluxs (see fluxs-batch(1), fluxs-jobs(1), fluxs-cancel(1)):

- **Submit.** Each job becomes a batch script, rendered from ``fluxs.mustache`` beside
  this file, and submitted with ``fluxs batch SCRIPT``, which prints the job's id. The
  job's options (size, time limit, queue, ...) are ``# fluxs:`` directives at the top of
  the script, so the script alone says how the job was asked for. The script runs in a
  child instance on the job's resources; it writes ``PSIJ_NODEFILE``, runs the PSI/J
  launcher (``single``, ``multiple`` or ``mpirun``) with its output in
  ``<work_dir>/<native_id>.out``, writes the launcher's exit code to
  ``<work_dir>/<native_id>.ec`` and exits with it.
- **Native ids** are the job ids in f58, always in the ASCII form ``f3NR1rfjNUi3``
  (fluxs prints ``ƒ`` in a UTF-8 locale and accepts both): one string for the submit
  output, the files in the work directory, the status map and ``list()``.
- **Status** is polled (every second by default) with one ``fluxs jobs`` command for all
  the executor's unfinished jobs; see :meth:`FluxsJobExecutor.get_status_command`.
  Job states map as: DEPEND, PRIORITY, SCHED -> QUEUED; RUN, CLEANUP -> ACTIVE;
  INACTIVE -> COMPLETED, FAILED, CANCELED, or FAILED for TIMEOUT.
- **Cancel** is ``fluxs cancel ID``; a job that has already ended makes
  :meth:`FluxsJobExecutor.process_cancel_command_output` raise ``InvalidJobStateError``.

Resources: a job of one process (the default) asks one task slot (``-n1``, with ``-c``
and ``-g`` from the spec); a job that names nodes, processes per node, exclusive use, or
more than one process asks whole nodes (``-N``), since PSI/J launchers place the
processes themselves. Memory is not a fluxs request and is ignored.
"""
import json
import math
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Collection, Dict, IO, List, Optional, Tuple

from packaging.version import Version
from psij import Job, JobExecutorConfig, JobState, JobStatus, ResourceSpecV1, \
    SubmitException
from psij.executors.batch.batch_scheduler_executor import BatchSchedulerExecutor, \
    BatchSchedulerExecutorConfig, InvalidJobStateError, UNKNOWN_ERROR
from psij.executors.batch.script_generator import TemplatedScriptGenerator

#: The fields of ``fluxs jobs -o`` read by the status poll, in order; the last one, the
#: exception's note, may hold anything but newlines and so is split off last.
_STATUS_FIELDS = ['id.f58', 'state', 'result', 'returncode', 'exception.type',
                  'exception.note']
_STATUS_SEP = '|'
_STATUS_FORMAT = _STATUS_SEP.join('{%s}' % f for f in _STATUS_FIELDS)

_PENDING = {'NEW', 'DEPEND', 'PRIORITY', 'SCHED'}
_RUNNING = {'RUN', 'CLEANUP'}
_RESULTS = {
    'COMPLETED': JobState.COMPLETED,
    'FAILED': JobState.FAILED,
    'CANCELED': JobState.CANCELED,
    'TIMEOUT': JobState.FAILED,
}

#: Submission options that a custom attribute ``fluxs.KEY`` sets as ``--KEY=VALUE``;
#: every other key is a jobspec attribute, set with ``--setattr=KEY=VALUE``.
_OPTION_ATTRIBUTES = {'requires', 'dependency', 'begin-time', 'urgency', 'setopt',
                      'env', 'env-remove', 'add-file', 'flags'}

#: Variables a job keeps when ``inherit_environment`` is false.
_MINIMAL_ENVIRONMENT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'LANG']

#: How fluxs jobs (and Flux's flux-jobs) report an id the instance does not know.
_UNKNOWN_ID = re.compile(r'unknown job id (\S+)|JobID (\S+) unknown')
_INACTIVE = 'job is inactive'


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


class FluxsExecutorConfig(BatchSchedulerExecutorConfig):
    """The configuration of :class:`FluxsJobExecutor`.

    The same settings as :class:`~psij.executors.batch.batch_scheduler_executor.
    BatchSchedulerExecutorConfig`, with status polling every second instead of every 30
    seconds (a ``fluxs jobs`` query is cheap), and one more:

    fluxs_command
        The ``fluxs`` program to run: a name looked up in ``PATH`` or a path.
    """

    def __init__(self, launcher_log_file: Optional[Path] = None,
                 work_directory: Optional[Path] = None, queue_polling_interval: float = 1,
                 initial_queue_polling_delay: float = 1,
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
    instance. See the module description for how jobs, resources and states map.

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
        super().__init__(url=url, config=config)
        self.fluxs = config.fluxs_command
        self.generator = TemplatedScriptGenerator(config,
                                                  Path(__file__).parent / 'fluxs.mustache')
        # the ids asked for by the last status command, for parse_status_output
        self._polled_ids: List[str] = []

    def _get_config(self, config: Optional[JobExecutorConfig]) -> FluxsExecutorConfig:
        if config is None:
            return FluxsExecutorConfig()
        if isinstance(config, FluxsExecutorConfig):
            return config
        return FluxsExecutorConfig._from_config(config)

    # ---- submission ----

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

    def _directives(self, job: Job) -> List[str]:
        """Returns the submission options of ``job``, each quoted for a directive line."""
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
        return [shlex.quote(o) for o in opts]

    def get_submit_command(self, job: Job, submit_file_path: Path) -> List[str]:
        """Returns ``fluxs batch SCRIPT``."""
        return [self.fluxs, 'batch', str(submit_file_path.absolute())]

    def job_id_from_submit_output(self, out: str) -> str:
        """Returns the job id that ``fluxs batch`` printed, in ASCII f58."""
        lines = [line for line in out.splitlines() if line.strip()]
        if not lines:
            raise SubmitException('fluxs batch printed no job id')
        return canonical_id(lines[-1])

    # ---- cancel ----

    def get_cancel_command(self, native_id: str) -> List[str]:
        """Returns ``fluxs cancel ID``."""
        return [self.fluxs, 'cancel', native_id]

    def process_cancel_command_output(self, exit_code: int, out: str) -> None:
        """Interprets a failed ``fluxs cancel``.

        Raises
        ------
        InvalidJobStateError
            The job had already ended ("job is inactive").
        SubmitException
            For any other failure (an unknown job, an unreachable instance, ...).
        """
        if _INACTIVE in out:
            raise InvalidJobStateError(out.strip())
        raise SubmitException('fluxs cancel failed (exit %d): %s' % (exit_code, out.strip()))

    # ---- status ----

    def get_status_command(self, native_ids: Collection[str]) -> List[str]:
        """Returns the ``fluxs jobs`` command that reports the state of ``native_ids``.

        The status of jobs is read here and in :meth:`parse_status_output` only, so that a
        status source other than polling (the instance's job events) can replace them.
        """
        self._polled_ids = list(native_ids)
        return [self.fluxs, 'jobs', '-a', '--no-header', '-o', _STATUS_FORMAT] + \
            self._polled_ids

    def parse_status_output(self, exit_code: int, out: str) -> Dict[str, JobStatus]:
        """Maps the output of :meth:`get_status_command` to a status per native id.

        A job left out of the map counts as completed (PSI/J's rule). When some ids are
        unknown to the instance, ``fluxs jobs`` fails; those jobs are reported FAILED and the
        others are asked for again. Any other failure raises ``RuntimeError``, which PSI/J
        counts as a failed poll.
        """
        statuses: Dict[str, JobStatus] = {}
        unknown: List[str] = []
        errors: List[str] = []
        for line in out.splitlines():
            if not line.strip():
                continue
            fields = line.split(_STATUS_SEP, len(_STATUS_FIELDS) - 1)
            if len(fields) == len(_STATUS_FIELDS) and fields[1] in _PENDING | _RUNNING | \
                    {'INACTIVE'}:
                statuses[canonical_id(fields[0])] = self._job_status(*fields[1:])
                continue
            match = _UNKNOWN_ID.search(line)
            if match:
                unknown.append(canonical_id(match.group(1) or match.group(2)))
            else:
                errors.append(line)
        if exit_code != 0 and (errors or not unknown):
            raise RuntimeError('status command %r exited with %d: %s'
                               % (self._polled_ids, exit_code, '\n'.join(errors) or out))
        for native_id in unknown:
            statuses[native_id] = JobStatus(JobState.FAILED,
                                            message='fluxs: unknown job id %s' % native_id)
        rest = [i for i in self._polled_ids if i not in statuses]
        if exit_code != 0 and rest:
            try:
                out = self._run_command(self.get_status_command(rest))
                exit_code = 0
            except subprocess.CalledProcessError as ex:
                out, exit_code = ex.output, ex.returncode
            statuses.update(self.parse_status_output(exit_code, out))
        return statuses

    @staticmethod
    def _job_status(state: str, result: str, returncode: str, exc_type: str,
                    exc_note: str) -> JobStatus:
        """The PSI/J status of one line of ``fluxs jobs`` output."""
        if state in _PENDING:
            return JobStatus(JobState.QUEUED)
        if state in _RUNNING:
            return JobStatus(JobState.ACTIVE)
        psij_state = _RESULTS.get(result, JobState.FAILED)
        message = None
        if result == 'TIMEOUT':
            message = 'fluxs: the job exceeded its time limit'
        elif result == 'FAILED' and exc_type:
            message = 'fluxs: %s exception%s' % (exc_type, ': ' + exc_note if exc_note else '')
        exit_code = None
        if psij_state == JobState.FAILED and returncode.lstrip('-').isdigit():
            exit_code = int(returncode)
        return JobStatus(psij_state, message=message, exit_code=exit_code)

    # ---- listing and attaching ----

    def get_list_command(self) -> List[str]:
        """Returns ``fluxs jobs`` listing the ids of all the caller's jobs, in every state."""
        return [self.fluxs, 'jobs', '-a', '--count=0', '--no-header', '-o', '{id.f58}']

    def parse_list_output(self, out: str) -> List[str]:
        """Returns the native ids listed by :meth:`get_list_command`."""
        return [canonical_id(line) for line in out.splitlines() if line.strip()]

    def attach(self, job: Job, native_id: str) -> None:
        """Attaches ``job`` to the fluxs job ``native_id`` (any f58 form).

        See :meth:`~psij.executors.batch.batch_scheduler_executor.BatchSchedulerExecutor.
        attach`. A job the instance does not know ends FAILED at the next poll.
        """
        super().attach(job, canonical_id(native_id))

    # ---- running commands ----

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

    def _read_aux_files(self, job: Job, status: JobStatus) -> None:
        super()._read_aux_files(job, status)
        # PSI/J's base class reads (and removes) .out only for failed jobs, and .ec only
        # for jobs not canceled: remove what is left before the final status is reported
        self._delete_aux_file(job, '.out')
        self._delete_aux_file(job, '.ec')

    def _clean_submit_script(self, job: Job) -> None:
        super()._clean_submit_script(job)
        self._delete_aux_file(job, '.nodefile')
        self._delete_aux_file(path=self.work_directory / (job.id + '.log'))
