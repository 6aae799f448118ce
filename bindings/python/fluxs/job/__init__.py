"""Jobs: ids, jobspecs, submission, waiting, events, listing, and ``FluxExecutor``,
with the names of flux-core's ``flux.job``."""

from fluxs.job.event import (
    MAIN_EVENTS,
    EventLogEvent,
    JobEventWatchFuture,
    JobException,
    event_wait,
    event_watch,
    event_watch_async,
)
from fluxs.job.executor import FluxExecutor, FluxExecutorFuture
from fluxs.job.info import JobInfo
from fluxs.job.jobid import JobID, id_encode, id_parse
from fluxs.job.jobspec import Jobspec, JobspecV1
from fluxs.job.journal import JournalConsumer
from fluxs.job.kill import (
    cancel,
    cancel_all,
    cancel_async,
    kill,
    job_raise,
    job_raise_async,
    kill_async,
    raise_job,
    raise_job_async,
)
from fluxs.job.list import JobList, get_job, job_list, job_list_id, job_list_inactive
from fluxs.job.submit import submit, submit_async, submit_get_id
from fluxs.job.wait import JobWaitResult, result, result_async, wait, wait_async, wait_get_status

__all__ = [
    "MAIN_EVENTS",
    "EventLogEvent",
    "FluxExecutor",
    "FluxExecutorFuture",
    "JobEventWatchFuture",
    "JobException",
    "JobID",
    "JobInfo",
    "JobList",
    "JobWaitResult",
    "Jobspec",
    "JobspecV1",
    "JournalConsumer",
    "cancel",
    "cancel_all",
    "cancel_async",
    "event_wait",
    "event_watch",
    "event_watch_async",
    "get_job",
    "id_encode",
    "id_parse",
    "job_list",
    "job_list_id",
    "job_list_inactive",
    "job_raise",
    "job_raise_async",
    "kill",
    "kill_async",
    "raise_job",
    "raise_job_async",
    "result",
    "result_async",
    "submit",
    "submit_async",
    "submit_get_id",
    "wait",
    "wait_async",
    "wait_get_status",
]
