"""Job records: ``JobInfo``, what job-manager.info and job-manager.list describe (the
keys of flux-core's job-list, see JOB RECORDS in fluxs-job-manager(7))."""

import collections
import os
import pwd
import time

from fluxs.job.jobid import JobID

#: A job's most severe exception.
ExceptionInfo = collections.namedtuple("ExceptionInfo", ["occurred", "severity", "type", "note"])

_STATE_ABBREV = {
    "NEW": "N",
    "DEPEND": "D",
    "PRIORITY": "P",
    "SCHED": "S",
    "RUN": "R",
    "CLEANUP": "C",
    "INACTIVE": "I",
}
_RESULT_ABBREV = {"COMPLETED": "CD", "FAILED": "F", "CANCELED": "CA", "TIMEOUT": "TO"}


class JobInfo:
    """One job as fluxs lists it. Every key of the record is an attribute (``id`` a
    :py:class:`JobID`, ``state``, ``result``, ``returncode``, ``name``, ``ntasks``,
    ``nnodes``, ``nodelist``, ``t_submit``, ...); ``to_dict()`` gives the record."""

    def __init__(self, record):
        self._record = dict(record)
        self.id = JobID(record["id"])  # pylint: disable=invalid-name

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._record[name]
        except KeyError:
            return None

    @property
    def state_single(self):
        """The state in one letter."""
        return _STATE_ABBREV.get(self._record.get("state", ""), "")

    @property
    def result_abbrev(self):
        """The result in flux-core's abbreviation (CD, F, CA, TO)."""
        return _RESULT_ABBREV.get(self._record.get("result", ""), "")

    @property
    def username(self):
        """The name of the job's user (its uid when the name is unknown)."""
        uid = self._record.get("userid", os.getuid())
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    @property
    def exception(self):
        """An :py:data:`ExceptionInfo` of the most severe exception."""
        exc = self._record.get("exception") or {}
        return ExceptionInfo(exc.get("occurred", False), exc.get("severity", ""), exc.get("type", ""), exc.get("note", ""))

    @property
    def runtime(self):
        """Seconds from RUN to CLEANUP, or to now (0 before it ran)."""
        if "runtime" in self._record:
            return self._record["runtime"]
        start = self._record.get("t_run")
        if not start:
            return 0.0
        return self._record.get("t_cleanup", time.time()) - start

    def to_dict(self, filtered=True):
        """The record as a dict (``id`` an int)."""
        del filtered
        return dict(self._record)

    def __repr__(self):
        return f"JobInfo({self.id}, {self._record.get('status', '')})"
