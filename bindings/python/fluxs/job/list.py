"""Listing jobs: ``job_list``, ``job_list_id``, ``job_list_inactive`` and ``JobList``
(job-manager.list and job-manager.info, see fluxs-job-manager(7))."""

from fluxs.job.info import JobInfo
from fluxs.job.jobid import JobID, wire

_STATE_NAMES = ("new", "depend", "priority", "sched", "run", "cleanup", "inactive")
_RESULT_NAMES = ("completed", "failed", "canceled", "timeout")


def _filter(states, results):
    words = [name for bit, name in enumerate(_STATE_NAMES) if states & (1 << bit)]
    words += [name for bit, name in enumerate(_RESULT_NAMES) if results & (1 << bit)]
    return ",".join(words)


def job_list(flux_handle, max_entries=1000, attrs=None, userid=None, states=0, results=0, since=0.0, name=None, queue=None):
    """Lists jobs; returns a future whose ``get()`` is ``{"jobs": [RECORD, ...]}``.

    :param max_entries: at most this many (0 for all)
    :param attrs: accepted for flux-core's sake; every key comes
    :param userid: whose jobs (default the caller's; -1 for every user's)
    :param states: a bit set of FLUX_JOB_STATE_* (0 with results 0: every job)
    :param results: a bit set of FLUX_JOB_RESULT_* (inactive jobs with those results)
    :param since: only inactive jobs that ended after this time
    """
    del attrs
    body = {"json": True, "count": max_entries}
    words = _filter(states, results)
    if words:
        body["filter"] = words
    else:
        body["all"] = True
    if userid is not None:
        body["userid"] = userid
    if since:
        body["since"] = since
    if name is not None:
        body["name"] = name
    if queue is not None:
        body["queue"] = queue if isinstance(queue, str) else ",".join(queue)
    return flux_handle.rpc("job-manager.list", body)


def job_list_inactive(flux_handle, since=0.0, max_entries=1000, attrs=None, name=None, queue=None):
    """Lists inactive jobs, newest end first (see ``job_list``)."""
    return job_list(flux_handle, max_entries, attrs, states=64, since=since, name=name, queue=queue)


def job_list_id(flux_handle, jobid, attrs=None):
    """One job's record; the future's ``get_jobinfo()`` is its :py:class:`JobInfo`,
    and ``get()`` is ``{"job": RECORD}``. OSError ENOENT for an unknown job."""
    del attrs
    future = flux_handle.rpc("job-manager.info", {"id": wire(jobid)})
    inner_get = future.get

    def get(timeout=None):
        return {"job": inner_get(timeout)}

    future.get = get
    future.get_jobinfo = lambda: JobInfo(inner_get())
    return future


class JobList:
    """A listing of jobs, as flux-core's ``flux.job.JobList``: ``jobs()`` returns
    :py:class:`JobInfo` objects.

    :param filters: state and result names, such as ["pending", "running"] or
        ["completed"] (default pending and running); ["all"] for every job
    :param ids: exactly these jobs
    :param user: a user name or uid, "all" for every user's (default: the caller)
    """

    def __init__(self, flux_handle, attrs=None, filters=None, ids=None, user=None, max_entries=1000, since=0.0, name=None, queue=None):
        del attrs
        self.handle = flux_handle
        self.filters = list(filters or [])
        self.ids = [JobID(i) for i in (ids or [])]
        self.user = user
        self.max_entries = max_entries
        self.since = since
        self.name = name
        self.queue = queue
        self.errors = []

    def _userid(self):
        if self.user is None:
            return None
        if self.user == "all":
            return -1
        if isinstance(self.user, int) or str(self.user).isdigit():
            return int(self.user)
        import pwd  # pylint: disable=import-outside-toplevel

        return pwd.getpwnam(self.user).pw_uid

    def fetch_jobs(self):
        """Sends the listing request; returns its future."""
        body = {"json": True, "count": self.max_entries}
        if self.ids:
            body["ids"] = [wire(i) for i in self.ids]
        if self.filters == ["all"]:
            body["all"] = True
        elif self.filters:
            body["filter"] = ",".join(self.filters)
        uid = self._userid()
        if uid is not None:
            body["userid"] = uid
        if self.since:
            body["since"] = self.since
        if self.name is not None:
            body["name"] = self.name
        if self.queue is not None:
            body["queue"] = self.queue
        return self.handle.rpc("job-manager.list", body)

    def jobs(self):
        """The jobs, as :py:class:`JobInfo` objects (OSError on a refused listing,
        ENOENT for an unknown id among ``ids``)."""
        return [JobInfo(record) for record in self.fetch_jobs().get()["jobs"]]


def get_job(flux_handle, jobid):
    """One job's record as a dict, or None when there is no such job."""
    try:
        return job_list_id(flux_handle, jobid).get_jobinfo().to_dict()
    except FileNotFoundError:
        return None

