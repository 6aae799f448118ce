"""A Parsl execution provider whose blocks are fluxs batch jobs."""

import json
import logging
import os
import re
import shlex
import time
from typing import Any, Dict, List, Optional

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SingleNodeLauncher
from parsl.launchers.base import Launcher
from parsl.providers.cluster_provider import ClusterProvider
from parsl.providers.errors import SubmitException
from parsl.utils import RepresentationMixin

from fluxs.job import JobID

logger = logging.getLogger(__name__)

# The states of fluxs jobs (RFC 21) and their results, as Parsl's job states.
_ACTIVE_STATES = {
    "NEW": JobState.PENDING,
    "DEPEND": JobState.PENDING,
    "PRIORITY": JobState.PENDING,
    "SCHED": JobState.PENDING,
    "RUN": JobState.RUNNING,
    "CLEANUP": JobState.RUNNING,
}
_RESULTS = {
    "COMPLETED": JobState.COMPLETED,
    "FAILED": JobState.FAILED,
    "CANCELED": JobState.CANCELLED,
    "CANCELLED": JobState.CANCELLED,
    "TIMEOUT": JobState.TIMEOUT,
}

# How many ids go on one `fluxs jobs` command line.
_STATUS_BATCH = 100

_SCRIPT_TEMPLATE = """#!/bin/bash
{directives}
{scheduler_options}

{worker_init}

export JOBNAME={jobname}

{user_script}
"""


def walltime_to_seconds(walltime) -> int:
    """Seconds in a walltime given as 'HH:MM:SS', 'MM:SS', a number of seconds
    (int or str), or None (no limit, 0)."""
    if walltime is None:
        return 0
    if isinstance(walltime, (int, float)):
        return int(walltime)
    parts = str(walltime).strip().split(":")
    if len(parts) > 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"walltime {walltime!r} is not HH:MM:SS")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds



def _jobid_value(text):
    """The integer of a job id as fluxs prints it."""
    return int(JobID(text))


def _is_jobid(text):
    """Whether ``text`` reads as a job id."""
    try:
        JobID(text)
    except ValueError:
        return False
    return True

class FluxsProvider(ClusterProvider, RepresentationMixin):
    """Parsl execution provider for fluxs, a Flux-like resource manager.

    Each block is a ``fluxs batch`` job: a child instance on ``nodes_per_block``
    whole nodes of the enclosing instance (the one ``FLUXS_URI`` names, or
    ``uri``), whose initial program is the submit script the provider writes into
    ``script_dir``.  The script carries the job's options as ``# flux:``
    directives, then ``scheduler_options``, ``worker_init`` and the launcher's
    wrapping of the executor's command.  The block inherits the environment of
    the process that submits it, as Flux jobs do.

    ``status`` reads ``fluxs jobs -a --json``; ``cancel`` runs ``fluxs cancel``.

    Parameters
    ----------
    nodes_per_block : int
        Nodes per block (``-N``; a block gets whole nodes).
    init_blocks, min_blocks, max_blocks : int
        Blocks to start with, to keep at least and at most.
    parallelism : float
        Ratio of provisioned task slots to active tasks.
    walltime : str
        Time limit of a block, 'HH:MM:SS' (None or '00:00:00' for none).
    launcher : Launcher
        Wraps the command in the block: ``SingleNodeLauncher`` (the default),
        or ``parsl_fluxs.launcher.FluxsRunLauncher`` for blocks of several
        nodes.
    queue : str
        Queue of the instance to submit to (``--queue``).
    account : str
        Bank to charge, as flux-accounting reads it (``--setattr=system.bank``).
    scheduler_options : str
        Lines put in the script right after the provider's own directives,
        typically more directives, which must then use the same sentinel,
        ``# flux:`` (as in ``# flux: --requires=bigmem``), and follow them
        without other lines in between (see DIRECTIVES in fluxs-batch(1)).
    worker_init : str
        Commands run in the block before the workers start.
    cmd_timeout : int
        Seconds to wait for a fluxs command to finish.
    uri : str
        The instance to submit to; default ``FLUXS_URI`` of the environment.
    fluxs_path : str
        The fluxs command (default: ``fluxs`` found in PATH).
    polling_interval : int
        Seconds between Parsl's calls to ``status`` (``status_polling_interval``).
    """

    def __init__(
        self,
        nodes_per_block: int = 1,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        walltime: Optional[str] = "00:10:00",
        launcher: Launcher = SingleNodeLauncher(),
        queue: Optional[str] = None,
        account: Optional[str] = None,
        scheduler_options: str = "",
        worker_init: str = "",
        cmd_timeout: int = 30,
        uri: Optional[str] = None,
        fluxs_path: Optional[str] = None,
        polling_interval: int = 5,
    ):
        super().__init__(
            "fluxs",
            nodes_per_block,
            init_blocks,
            min_blocks,
            max_blocks,
            parallelism,
            walltime,
            launcher,
            cmd_timeout=cmd_timeout,
        )
        walltime_to_seconds(walltime)  # refuse a malformed walltime early
        self.queue = queue
        self.account = account
        self.scheduler_options = scheduler_options
        self.worker_init = worker_init
        self.uri = uri
        self.fluxs_path = fluxs_path
        self.polling_interval = polling_interval

    # -- helpers ---------------------------------------------------------

    def _fluxs(self, *args: str) -> str:
        """A shell command line running fluxs with ARGS on the instance."""
        words = [self.fluxs_path or "fluxs"] + list(args)
        line = " ".join(shlex.quote(w) for w in words)
        if self.uri:
            line = "env FLUXS_URI={} {}".format(shlex.quote(self.uri), line)
        return line

    def _directives(self, job_name: str, stdout_path: str, stderr_path: str) -> str:
        options = [
            "--job-name={}".format(job_name),
            "--nodes={}".format(self.nodes_per_block),
            "--output={}".format(stdout_path),
            "--error={}".format(stderr_path),
        ]
        seconds = walltime_to_seconds(self.walltime)
        if seconds > 0:
            options.append("--time-limit={}s".format(seconds))
        if self.queue:
            options.append("--queue={}".format(self.queue))
        if self.account:
            options.append("--setattr=system.bank={}".format(json.dumps(str(self.account))))
        return "\n".join("# flux: " + shlex.quote(o) for o in options)

    def _record(self, job_id: str, status: JobStatus) -> None:
        self.resources[job_id]["status"] = status

    # -- the provider interface -------------------------------------------

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.fluxs") -> str:
        """Submit a block running ``command`` (``tasks_per_node`` copies on each
        node, as the launcher makes them) and return its job id, as fluxs prints
        it (F58)."""
        assert self.script_dir, "Expected script_dir to be set"
        script_name = "{}.{}".format(job_name, time.time())
        script_path = os.path.abspath(os.path.join(self.script_dir, script_name + ".submit"))
        stdout_path = os.path.abspath(os.path.join(self.script_dir, script_name + ".stdout"))
        stderr_path = os.path.abspath(os.path.join(self.script_dir, script_name + ".stderr"))

        user_script = self.launcher(command, tasks_per_node, self.nodes_per_block, self.script_dir)
        text = _SCRIPT_TEMPLATE.format(
            directives=self._directives(job_name, stdout_path, stderr_path),
            scheduler_options=self.scheduler_options,
            worker_init=self.worker_init,
            jobname=shlex.quote(job_name),
            user_script=user_script,
        )
        logger.debug("Writing submit script %s", script_path)
        with open(script_path, "w") as handle:
            handle.write(text)
        os.chmod(script_path, 0o700)

        retcode, stdout, stderr = self.execute_wait(self._fluxs("batch", script_path))
        lines = [line.strip() for line in stdout.splitlines() if line.strip()]
        if retcode != 0 or not lines or not _is_jobid(lines[-1]):
            logger.error("fluxs batch failed: retcode=%s stdout=%s stderr=%s",
                         retcode, stdout.strip(), stderr.strip())
            raise SubmitException(
                job_name,
                "fluxs batch did not print a job id",
                stdout=stdout,
                stderr=stderr,
                retcode=retcode,
            )
        job_id = lines[-1]
        logger.debug("Submitted block %s as job %s", job_name, job_id)
        self.resources[job_id] = {
            "job_id": job_id,
            "status": JobStatus(JobState.PENDING, stdout_path=stdout_path, stderr_path=stderr_path),
            "job_stdout_path": stdout_path,
            "job_stderr_path": stderr_path,
        }
        return job_id

    def _query(self, job_ids: List[str]) -> Optional[Dict[int, Dict[str, Any]]]:
        """The JSON objects of `fluxs jobs` for JOB_IDS by integer id; None when
        the command fails.  Ids the instance does not know (purged jobs) are
        left out: fluxs jobs lists the others and names those on stderr."""
        retcode, stdout, stderr = self.execute_wait(
            self._fluxs("jobs", "-a", "-c", "0", "--json", *job_ids))
        if retcode == 0:
            data = json.loads(stdout) if stdout.strip() else {"jobs": []}
            jobs = data["jobs"] if "jobs" in data else [data]
            return {int(job["id"]): job for job in jobs}
        complaints = stderr.strip().splitlines()
        if complaints and all("unknown job id" in line for line in complaints):
            return {}  # every one of them is gone
        logger.warning("fluxs jobs failed: retcode=%s stderr=%s", retcode, stderr.strip())
        return None

    def _status(self) -> None:
        """Bring the status of every job not yet known to have ended up to date."""
        active = [jid for jid, rec in self.resources.items() if not rec["status"].terminal]
        for start in range(0, len(active), _STATUS_BATCH):
            batch = active[start:start + _STATUS_BATCH]
            found = self._query(batch)
            if found is None:
                return  # keep what was known; try again at the next poll
            for job_id in batch:
                rec = self.resources[job_id]
                paths = dict(stdout_path=rec["job_stdout_path"], stderr_path=rec["job_stderr_path"])
                job = found.get(_jobid_value(job_id))
                if job is None:
                    # Purged: it is inactive, and its result is forgotten.
                    self._record(job_id, JobStatus(
                        JobState.COMPLETED, message="no longer known to the instance", **paths))
                    continue
                state = job.get("state", "")
                if state == "INACTIVE":
                    result = job.get("result", "")
                    parsl_state = _RESULTS.get(result, JobState.FAILED)
                    message = None
                    exc = job.get("exception") or {}
                    if exc.get("occurred"):
                        message = "{}: {}".format(exc.get("type", ""), exc.get("note", "")).strip(": ")
                    elif parsl_state == JobState.FAILED:
                        message = "exited with {}".format(job.get("returncode"))
                    self._record(job_id, JobStatus(
                        parsl_state, message=message, exit_code=job.get("returncode"), **paths))
                else:
                    parsl_state = _ACTIVE_STATES.get(state, JobState.UNKNOWN)
                    if parsl_state == JobState.PENDING and job.get("urgency") == 0:
                        parsl_state = JobState.HELD
                    self._record(job_id, JobStatus(parsl_state, **paths))

    def status(self, job_ids):
        """Return the JobStatus of each of JOB_IDS, in the order given."""
        unknown = [j for j in job_ids if j not in self.resources]
        for job_id in unknown:
            # A block this provider did not submit (say, after a restart):
            # follow it all the same.
            self.resources[job_id] = {"job_id": job_id, "status": JobStatus(JobState.UNKNOWN),
                                      "job_stdout_path": None, "job_stderr_path": None}
        return super().status(job_ids)

    def cancel(self, job_ids):
        """Cancel the blocks JOB_IDS; for each, True when it was canceled by this
        call, False when it could not be (already ended, unknown)."""
        if not job_ids:
            return []
        retcode, stdout, stderr = self.execute_wait(self._fluxs("cancel", *job_ids))
        given = {_jobid_value(j) for j in job_ids}
        failed = set()
        if retcode != 0:
            # fluxs cancel tries every id and names those it could not cancel.
            for word in re.split(r"[\s:,]+", stderr):
                if _is_jobid(word) and _jobid_value(word) in given:
                    failed.add(_jobid_value(word))
            if not failed:
                logger.warning("fluxs cancel failed: retcode=%s stderr=%s", retcode, stderr.strip())
                return [False for _ in job_ids]
        results = []
        for job_id in job_ids:
            ok = _jobid_value(job_id) not in failed
            if ok and job_id in self.resources:
                rec = self.resources[job_id]
                self._record(job_id, JobStatus(JobState.CANCELLED,
                                               stdout_path=rec["job_stdout_path"],
                                               stderr_path=rec["job_stderr_path"]))
            results.append(ok)
        return results

    @property
    def status_polling_interval(self) -> int:
        """Seconds between Parsl's calls to ``status``."""
        return self.polling_interval
