#!/usr/bin/env python3
"""Sends every topic of every fluxs service hostile payloads, and checks after each
batch that every broker of the instance still answers (issue M11).

  fluxs-hostile.py [--seconds S] [--count N] [--seed N] [--batch N] [--timeout T]
                   [--ping-timeout T] [--only REGEX] [--skip REGEX] [--one-connection]
                   [--allow-unanswered] [--log FILE] [--list]

It connects to the broker of FLUXS_URI, and to the local socket of every other rank
(their local-uri attributes) when it can, and sends, round-robin over the topics listed
below (TOPICS) so that a short run still reaches each of them: the topic's plain
payload, then that payload with each field the service reads set to each hostile value
(out-of-range and negative integers, 1e308 and 1e400 as raw text, wrong types, 1 MiB
strings, nesting 10000 deep, invalid UTF-8, ...), then whole hostile payloads (empty,
not JSON, garbage bytes, ...), then the plain payload with other message flags. Topics
served on every broker cycle their nodeid over ANY and each rank. It does not wait for
each answer: requests are tracked by matchtag, and one not answered within --timeout is
counted (streams and waits may stay open). After every --batch requests, it pings
every rank (broker.ping with that nodeid) through every connection.

Deterministic: the order of the cases is fixed, and the random bytes come from --seed;
bounded by --count requests and --seconds.

Topics whose correct effect would stop the instance or break the test are left out
(see EXCLUDED). Side effects that would hurt what follows are undone as it goes: jobs
that a hostile submission created are cancelled, drained ranks undrained, attributes
restored, scheduler allocations freed, queues enabled and started. Fixtures give the
fields that name things real values: a running job (test mode), a held job, and (for
the owner) a process under exec whose stdin is read, each made again when a hostile
request may have ended it.

Exit status: 0 when every broker answered to the end (a summary line is printed);
1 when a broker stopped answering a ping or a connection dropped: the last request sent
and those sent since the last good ping are named; 2 for a usage or setup error; 3 when
the brokers lived but requests that must be answered (not waits, streams or disconnect
notices: Topic.waits) got no answer within --timeout (a client would hang): each is
named (--allow-unanswered makes that 0).
"""
import argparse
import copy
import errno
import importlib
import json
import os
import random
import re
import select
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in t/lib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
raw = importlib.import_module("fluxs-raw")  # the framing of t/lib/fluxs-raw.py

ANY = raw.ANY
UPSTREAM = 0xFFFFFFFE
STREAMING, NORESPONSE = 1, 2

# MARK: - Values


class Raw:
    """JSON text put into a payload as is: numbers that Python would not write that way,
    nesting too deep for json.dumps, bytes that are not UTF-8."""

    __slots__ = ("text", "label")

    def __init__(self, text, label=None):
        self.text = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        self.label = label or short(self.text)

    def __deepcopy__(self, memo):
        return self


class Fix:
    """A placeholder for a fixture's value (a job id, a pid, the instance's R), resolved
    when the payload is built, which makes the fixture again if it may be gone."""

    __slots__ = ("name", "suffix")

    def __init__(self, name, suffix=""):
        self.name = name
        self.suffix = suffix

    def __deepcopy__(self, memo):
        return self


JOB, HELD, PID, UID = Fix("job"), Fix("held"), Fix("pid"), Fix("uid")
R_0, INV, LASTRANK = Fix("R0"), Fix("inventory"), Fix("lastrank")
JOBSPEC, JOBKEY_GUEST = Fix("jobspec"), Fix("jobkey", ".guest.hostile")
BIGJOBSPEC = Fix("bigjobspec")  # every core of the instance: while a fixture runs, it waits in the queue


def short(data, n=100):
    """A printable head of bytes or text."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    head = data[:n].decode("utf-8", "backslashreplace")
    head = head.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r").replace("\x00", "\\0")
    return head + ("...(%d bytes)" % len(data) if len(data) > n else "")


def label(value):
    if isinstance(value, Raw):
        return value.label
    if isinstance(value, Fix):
        return "<%s%s>" % (value.name, short(value.suffix, 20))
    if isinstance(value, str) and len(value) > 40:
        return '"%s..."(%d chars)' % (value[:12], len(value))
    try:
        return short(json.dumps(value, ensure_ascii=False), 60)
    except (TypeError, ValueError):
        return short(repr(value), 60)


def nested(n, kind="array"):
    if kind == "array":
        return Raw(b"[" * n + b"]" * n, "%d nested arrays" % n)
    return Raw(b'{"a":' * n + b"null" + b"}" * n, "%d nested objects" % n)


HUGE = "A" * (1 << 20)
INTS = [
    Raw("4294967296"), Raw("9223372036854775807"), Raw("-9223372036854775808"), Raw("18446744073709551616"),
    Raw("-1"), Raw("1e308"), Raw("1e400"), Raw("-2"), Raw("4294967295"), Raw("2147483648"),
    Raw("18446744073709551615"), Raw("-9223372036854775809"), Raw("-1e308"), Raw("0"), Raw("1.5"),
    Raw("-0.0"), Raw("4294967296.0"), Raw("8.9e18"), Raw("1" + "0" * 400, "a 401-digit integer"),
]
WRONG = ["hostile", "", "4294967296", [], [1, "x", None], {}, {"a": 1}, None, True, False]
BIG = [
    Raw(b'"' + HUGE.encode() + b'"', "a 1 MiB string"), nested(10000), nested(10000, "object"),
    nested(500), nested(500, "object"),
    Raw(b"[" + b",".join([b"0"] * 200000) + b"]", "an array of 200000 zeros"),
    Raw(b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(50000)) + b"}", "an object of 50000 keys"),
]
# No string here may name a real file or program: some fields become paths and argv.
STRS = [
    "", "\x00", "hostile\x00tail", "%s%s%s%n", "{id}", "\\", '"', "é" * 1000, "\U0001F600",
    Raw('"\\ud800"', "a lone surrogate escape"), Raw(b'"\xff\xfe"', "invalid UTF-8 in a string"),
    Raw(b'"\xc3"', "truncated UTF-8"), Raw(b'"\xed\xa0\x80"', "an encoded surrogate"), " ", "\n\t", "-",
    "4294967296", "-1", "1e400", "nan", "inf", "a" * 65536, "../nonexistent-hostile/x",
    "x" * 255 + "." + "y" * 255,
]
BOOLS = [Raw("1"), Raw("0"), "true", "false", None, [], {}, Raw("4294967296"), Raw("1e400")]
IDSETS = [
    "4294967295", "4294967294", "4294967296", "18446744073709551616", "99999999999999999999", "-1", "1-0",
    "0-", "-", ",", "0,0,0", "0-1,0-1", "0-65535", "x", "[0-1]", "0-4294967295",
]
HOSTLISTS = ["x[0-65535]", "x[4294967296]", "x[99999999999999999999]", "x[1-0]", "x[", "x]", "[]", "x[0-1]x["]
# Keys a commit may write: never the root ("."), nor any real directory. Deep keys come
# first (a guest may write any key under its own job's guest.*): 36000 levels, then the
# reads below look at them, then 100000.
DEEP = Fix("jobkey", ".guest.deep." + "d." * 36000 + "x")
KEYS = [
    DEEP, "hostile.deep." + "d." * 36000 + "x", Fix("jobkey", ".guest.deeper." + "d." * 100000 + "x"),
    "hostile.deeper." + "d." * 100000 + "x", "", "..", ".hostile", "hostile.", "hostile..x",
    "hostile." + "d." * 5000 + "x", "hostile." + "A" * (1 << 20),
    "hostile.\x00", "hostile x", Raw('"hostile.\\ud800"', "a lone surrogate in a key"),
    Raw(b'"hostile.\xff"', "invalid UTF-8 in a key"), Fix("jobkey", ".guest." + "d." * 3000 + "x"),
    Fix("jobkey", ".guest..x"), Fix("jobkey", ".pmi." + "A" * 65536),
]
# Keys a read may name: the directories the deep keys above went into first.
READ_KEYS = [Fix("jobkey", ".guest"), Fix("jobkey", ".guest.deep"), "hostile.deep", Fix("jobkey", ".guest.deeper"),
             "hostile", ".", Fix("jobkey", "")] + KEYS
JOB_IDS = [Raw("-1"), Raw("0"), Raw("1"), "ƒ", Raw("18446744073709551615"), HELD, JOB]
USERIDS = [Raw("4294967296"), Raw("9223372036854775807"), Raw("-2"), Raw("4294967295"), Raw("-9223372036854775808"),
           Raw("65534")]
SIGNALS = [Raw("4294967296"), Raw("2147483648"), Raw("-2147483649"), Raw("65"), Raw("64"), Raw("0")]
FORMATS = [
    "{", "}", "{{", "{nosuchfield}", "{id:99999999999999999999}", "{id:.99999999999999999999}", "{id:.-1}",
    "{id:>1000000}", "{id:>-5}", "{id:\x00>9}", "{id:" + "9" * 1000 + "}", "{" * 10000, "{id}" * 20000,
    "%d%s%n", "{id.f58:h+}", "{name:.0}", "{name:+.1}",
]
FILTERS = ["x", ",", "," * 100000, "PENDING", "completed,", "pending,running,inactive,x", "r", "i", "ru"]

# What each kind of field gets, in order (ints first: they are what breaks most).
KINDS = {
    "int": INTS + WRONG + BIG,
    "str": STRS + [Raw("4294967296"), Raw("-1"), Raw("1e400")] + [w for w in WRONG if not isinstance(w, str)] + BIG,
    "bool": BOOLS + BIG,
    "obj": WRONG + INTS[:7] + STRS[:6] + BIG,
    "arr": WRONG + INTS[:7] + STRS[:6] + BIG,
    "any": WRONG + INTS + STRS[:12] + BIG,
    "idset": IDSETS + HOSTLISTS + STRS[:8] + INTS[:5] + [w for w in WRONG if not isinstance(w, str)] + BIG[:3],
    "key": KEYS + [Raw("4294967296"), Raw("1e400")] + [w for w in WRONG if not isinstance(w, str)] + BIG[1:3],
    "rkey": READ_KEYS + [Raw("4294967296"), Raw("1e400")] + [w for w in WRONG if not isinstance(w, str)] + BIG[1:3],
    "id": JOB_IDS + INTS + WRONG + BIG,
    "userid": USERIDS + INTS + WRONG + BIG,
    "signal": SIGNALS + INTS + WRONG + BIG,
    "format": FORMATS + STRS + BIG,
    "filter": FILTERS + STRS + BIG,
}


def garbage_payloads(seed):
    rng = random.Random(seed)
    return [
        (b"", "an empty payload"), (b"\xff\xfe\xfd\xfc", "invalid UTF-8"), (b"\x00" * 64, "64 NUL bytes"),
        (b"not json", "not JSON"), (b"{", "an unterminated object"), (b'{"a":', "truncated JSON"),
        (b"}{", "}{"), (b"{}{}", "two objects"), (b"{} trailing", "trailing garbage"), (b"null", "null"),
        (b"true", "true"), (b"[]", "an array"), (b"1", "a number"), (b'"str"', "a string"), (b"1e400", "1e400"),
        (b"-", "a lone minus"), (b"\xef\xbb\xbf{}", "a BOM then {}"), (b" \t\r\n" * 1000, "whitespace only"),
        (b'{"\xff":1}', "an invalid UTF-8 key"), (b'{"a":"\xff\xfe"}', "an invalid UTF-8 string"),
        (b'{"a":"\\ud800"}', "a lone surrogate"), (b'{"a":1,"a":"dup"}', "a duplicate key"),
        (b"[" * 10000 + b"]" * 10000, "10000 nested arrays"),
        (b'{"a":' * 10000 + b"1" + b"}" * 10000, "10000 nested objects"), (b"[" * 100000, "100000 open brackets"),
        (b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(100000)) + b"}", "an object of 100000 keys"),
        (b'"' + HUGE.encode() + b'"', "a 1 MiB string"),
        (bytes(rng.getrandbits(8) for _ in range(4096)), "4096 random bytes (seed %d)" % seed),
        (b'{"a":' + b"9" * 100000 + b"}", "a 100000-digit number"),
        (b'{"a":0.' + b"0" * 100000 + b"1}", "a 100000-digit fraction"),
        (b'{"a":1e-99999}', "a tiny exponent"), (b'{"a":1e99999999999999999999}', "a huge exponent"),
    ]


def idset_size(text):
    """How many ids an RFC 22 idset ("0-3,7") holds."""
    n = 0
    for part in str(text).split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            n += int(hi) - int(lo) + 1
        elif part.strip():
            n += 1
    return n


def jobspec(run_duration="0.01s", command=("true",)):
    """A version 1 jobspec of one task on one core, run in the exec test mode."""
    return {
        "version": 1,
        "resources": [{"type": "slot", "count": 1, "label": "task", "with": [{"type": "core", "count": 1}]}],
        "tasks": [{"command": list(command), "slot": "task", "count": {"per_slot": 1}}],
        "attributes": {"system": {"duration": 0, "cwd": "/", "environment": {"PATH": "/usr/bin:/bin"},
                                  "exec": {"test": {"run_duration": run_duration}}}},
    }


# The fields of a jobspec that validation and scheduling read, relative to it.
JOBSPEC_FIELDS = [
    ((), "obj"), (("version",), "int"), (("resources",), "arr"), (("resources", 0, "count"), "int"),
    (("resources", 0, "type"), "str"), (("resources", 0, "label"), "str"), (("resources", 0, "with"), "arr"),
    (("resources", 0, "with", 0, "count"), "int"), (("resources", 0, "with", 0, "type"), "str"),
    (("tasks",), "arr"), (("tasks", 0, "command"), "arr"), (("tasks", 0, "command", 0), "str"),
    (("tasks", 0, "count"), "obj"), (("tasks", 0, "count", "per_slot"), "int"), (("tasks", 0, "slot"), "str"),
    (("attributes",), "obj"), (("attributes", "system"), "obj"), (("attributes", "system", "duration"), "int"),
    (("attributes", "system", "exec", "test", "run_duration"), "any"), (("attributes", "system", "queue"), "str"),
    (("attributes", "system", "dependencies"), "arr"), (("attributes", "system", "constraints"), "obj"),
    (("attributes", "system", "environment"), "obj"), (("attributes", "system", "environment", "PATH"), "str"),
    (("attributes", "system", "cwd"), "str"), (("attributes", "system", "shell"), "obj"),
    (("attributes", "user"), "obj"),
]


def jobspec_extras():
    """Whole jobspecs that are valid in form but extreme, and hostile dependencies."""
    out = []
    m = 2147483647
    for nodes, slots, cores in ((m, m, m), (m, m, 1), (1, m, m), (m, 1, 1)):
        spec = jobspec()
        spec["resources"] = [{"type": "node", "count": nodes, "with": [
            {"type": "slot", "count": slots, "label": "task", "with": [{"type": "core", "count": cores}]}]}]
        out.append((spec, "nodes=%d slots=%d cores=%d" % (nodes, slots, cores)))
    for total in (m, 4294967296, 0):
        spec = jobspec()
        spec["tasks"][0]["count"] = {"total": total}
        out.append((spec, "tasks total=%d" % total))
    spec = jobspec()
    spec["resources"][0]["with"].append({"type": "gpu", "count": m})
    out.append((spec, "gpus=%d" % m))
    deps = [("begin-time", v) for v in ("1e308", "1.7976931348623157e308", "-1", "nan", "inf", "1e400", "")]
    deps += [(s, v) for s in ("afterok", "after", "afterany", "afternotok")
             for v in ("18446744073709551615", "18446744073709551616", "0", "-1", "ƒ", "ƒ" + "z" * 40, "9" * 400)]
    deps += [("hostile", "1"), ("", ""), ("afterok", Raw("4294967296")), (None, None)]
    for scheme, value in deps:
        spec = jobspec()
        spec["attributes"]["system"]["dependencies"] = [{"scheme": scheme, "value": value}]
        out.append((spec, "dependency %s=%s" % (scheme, label(value))))
    for constraint in ({"properties": ["^"]}, {"properties": [HUGE]}, {"and": [nested(500, "object")]},
                       {"or": []}, {"properties": [Raw("1e400")]}):
        spec = jobspec()
        spec["attributes"]["system"]["constraints"] = constraint
        out.append((spec, "constraints %s" % label(constraint)))
    return out


# The fields of an R (RFC 20) that parsing reads, relative to it.
R_FIELDS = [
    ((), "obj"), (("version",), "int"), (("execution",), "obj"), (("execution", "R_lite"), "arr"),
    (("execution", "R_lite", 0), "obj"), (("execution", "R_lite", 0, "rank"), "idset"),
    (("execution", "R_lite", 0, "children"), "obj"), (("execution", "R_lite", 0, "children", "core"), "idset"),
    (("execution", "R_lite", 0, "children", "gpu"), "idset"), (("execution", "nodelist"), "arr"),
    (("execution", "nodelist", 0), "idset"), (("execution", "starttime"), "int"),
    (("execution", "expiration"), "int"), (("execution", "properties"), "obj"),
]

# MARK: - Topics


class Topic:
    """One topic: its plain payload, the fields its service reads (path -> kind, a key of
    KINDS), where it is served ("root": nodeid ANY only, a rank-0 service; "each": ANY and
    every rank in turn; "fixture": the rank of the exec fixture), its flags, extra cases,
    and what to do after each case."""

    def __init__(self, topic, base=None, fields=None, where="each", flags=0, extras=(), after=None,
                 dirties=(), on_ok=None, waits=False):
        self.topic = topic
        self.base = {} if base is None else base
        self.fields = fields or {}
        self.where = where
        self.flags = flags
        self.extras = extras  # (payload object, label) pairs, or a function of the tool giving them
        self.after = after  # function(tool, payload object, nodeid) -> [(topic, payload, nodeid)]
        self.dirties = dirties
        self.on_ok = on_ok  # function(tool, response payload) called on a success
        self.waits = waits  # requests may rightly stay unanswered (waits, streams)


def F(**kinds):
    """Fields at the top level of the payload: F(name="str") is {("name",): "str"}."""
    return {(k,): v for k, v in kinds.items()}


def merge(*dicts):
    out = {}
    for d in dicts:
        out.update(d)
    return out


def with_prefix(prefix, fields):
    return {prefix + path: kind for path, kind in fields}


def undrain(tool, payload, nodeid):
    return [("resource.undrain", {"targets": str(r)}, nodeid) for r in range(tool.size)]


def restore_attr(tool, payload, nodeid):
    name = payload.get("name") if isinstance(payload, dict) else None
    if not isinstance(name, str) or name not in RUNTIME_ATTRS:
        return []
    rank = tool.rank_of(nodeid)
    return [("attr.set", {"name": name, "value": tool.attr_originals.get((rank, name), RUNTIME_ATTRS[name])}, nodeid)]


def free_alloc(tool, payload, nodeid):
    """After sched.alloc: the job (waiting in the queue, if a fixture holds a core) gets
    hostile priorities, then is cancelled and freed."""
    if not isinstance(payload, dict) or "id" not in payload:
        return []
    job = payload["id"]
    return [("sched.prioritize", {"jobs": [[job, p]]}, nodeid) for p in
            (Raw("-9223372036854775808"), Raw("9223372036854775807"), Raw("4294967296"), Raw("-1"), Raw("1e308"))] + [
        ("sched.cancel", {"id": job}, nodeid), ("sched.free", {"id": job}, nodeid)]


def free_restored(tool, payload, nodeid):
    running = payload.get("running") if isinstance(payload, dict) else None
    if not isinstance(running, list):
        return []
    return [("sched.free", {"id": job["id"]}, nodeid) for job in running if isinstance(job, dict) and "id" in job]


def queues_on(tool, payload, nodeid):
    return [("job-manager.queue-enable", {"all": True, "enable": True}, nodeid),
            ("job-manager.queue-start", {"all": True, "start": True}, nodeid)]


def cancel_submitted(tool, answer):
    if isinstance(answer, dict) and isinstance(answer.get("id"), int):
        tool.send_quiet("job-manager.cancel", {"id": answer["id"], "note": "fluxs-hostile cleanup"}, ANY)


# Runtime attributes the broker and its modules read, with harmless values to put back
# when they were not set (Sources/FluxsBroker/Attributes.swift, known with .runtime).
RUNTIME_ATTRS = {
    "log-ring-size": "1024", "log-stderr-level": "3", "heartbeat.period": "2s", "job-exec.kill-timeout": "5s",
    "job-manager.inactive-age-limit": "365d", "job-manager.inactive-num-limit": "1000000",
    "job-manager.max-jobspec-size": "1048576",
}
ATTR_VALUES = ["0", "-1", "9223372036854775807", "18446744073709551616", "1e308", "nan", "inf", "-inf",
               "1e-300", "0.000000001s", "1e400s", "9223372036854775807s", "", HUGE, "1" + "0" * 400, "-0"]


def attr_set_extras(tool):
    return [({"name": n, "value": v}, "name=%s value=%s" % (n, label(v))) for v in ATTR_VALUES for n in RUNTIME_ATTRS]


def event_extras(tool):
    harmless = "%d-4294967295" % tool.size  # ranks the instance does not have
    out = []
    for ranks in (harmless, "4294967295", "-1", "", HUGE, Raw("5"), None, nested(500), "x[0-65535]"):
        out.append(({"topic": "overlay.lost", "payload": {"rank": Raw("4294967296"), "ranks": ranks}},
                    "overlay.lost ranks=%s" % label(ranks)))
    for topic in ("resource.drain", "resource.undrain", "resource.up", "heartbeat.pulse"):
        for payload in ({"ranks": Raw("1e400")}, {"count": Raw("18446744073709551616")}, nested(500), HUGE, None):
            out.append(({"topic": topic, "payload": payload}, "%s payload=%s" % (topic, label(payload))))
    return out


def list_extras(tool):
    out = [({"format": f, "all": False, "count": 5}, "format=%s" % label(f)) for f in FORMATS]
    out += [({"ids": [i, JOB, HELD]}, "ids=[%s,...]" % label(i)) for i in INTS + [Raw("1e400")]]
    out += [({"ids": HUGE}, "ids=1 MiB string"), ({"ids": nested(500)}, "ids=500 nested")]
    return out


def jobspec_cases(prefix):
    def extras(tool):
        return [(prefix(spec), "jobspec " + what) for spec, what in jobspec_extras()]
    return extras


def commit_extras(tool):
    out = []
    for op in ("unlink", "mkdir", "append", "put", "hostile", ""):
        for key in KEYS[4:12] + [JOBKEY_GUEST]:
            if op == "unlink" and not isinstance(key, Fix):
                continue  # unlinking names outside the job's guest keys is not the point
            out.append(({"ops": [{"op": op, "key": key, "value": "x", "recursive": True}]},
                        "op=%s key=%s" % (op, label(key))))
    for value in BIG + [Raw("1e400")]:
        out.append(({"ops": [{"op": "append", "key": JOBKEY_GUEST, "value": value}]}, "append value=%s" % label(value)))
    out.append(({"ops": [{"op": "put", "key": JOBKEY_GUEST, "value": i} for i in range(20000)]}, "20000 ops"))
    return out


JS = lambda spec: {"jobspec": spec}  # noqa: E731

TOPICS = [
    # --- Sources/FluxsBroker/Broker+Services.swift: registerBuiltins (simple(...) and builtins[...]) ---
    Topic("broker.ping", {"pad": "x", "seq": 1}, F(pad="str", seq="int"),
          extras=lambda t: [({"pad": "x"}, "nodeid=%d" % n) for n in (4294967293, UPSTREAM, t.size, 65536, 2**31)]),
    Topic("broker.info"),
    # broker.shutdown: left out (EXCLUDED).
    Topic("config.get"),
    Topic("attr.get", {"name": "rank"}, F(name="str")),
    Topic("attr.set", {"name": "hostile.attr", "value": "x"}, F(name="str", value="str"), extras=attr_set_extras,
          after=restore_attr),
    Topic("attr.rm", {"name": "hostile.attr"}, F(name="str")),
    Topic("attr.list"),
    Topic("log.append", {"message": "hostile", "level": 7, "appname": "hostile"},
          F(message="str", level="int", appname="str")),
    Topic("log.dmesg", {"follow": False}, F(follow="bool"), flags=STREAMING, waits=True),
    # log.clear: left out (EXCLUDED).
    Topic("service.add", {"service": "hostile-svc"}, F(service="str")),
    Topic("service.remove", {"service": "hostile-svc"}, F(service="str")),
    Topic("event.pub", {"topic": "hostile.event", "payload": {"x": 1}}, F(topic="str", payload="any"),
          extras=event_extras),
    Topic("event.subscribe", {"topic": "hostile.event"}, F(topic="str")),
    Topic("event.unsubscribe", {"topic": "hostile.event"}, F(topic="str")),
    Topic("overlay.status"),
    Topic("overlay.join", {"rank": 1}, F(rank="int")),
    # --- Sources/FluxsBroker/ModuleTable.swift: registerModuleServices ---
    Topic("module.list"),
    Topic("module.load", {"name": "hostile-module"}, F(name="str")),
    # module.remove: left out (EXCLUDED).
    Topic("module.stats", {"name": "kvs"}, F(name="str")),
    # --- Sources/FluxsBroker/Module.swift: ModuleContext.deliver answers SERVICE.ping for each module;
    #     the modules registered in Sources/fluxs-broker/main.swift ---
] + [
    Topic(s + ".ping", {"x": 1}, F(x="any"),
          where="root" if s in ("heartbeat", "kvs", "sched", "job-manager") else "each")
    for s in ("heartbeat", "exec", "kvs", "resource", "sched", "job-manager", "job-exec")
] + [
    # --- Sources/HeartbeatModule/HeartbeatModule.swift: handle ---
    Topic("heartbeat.get", where="root"),
    # --- Sources/ExecModule/ExecModule.swift: handle, spawnSpec, write, killProcess, target ---
    Topic("exec.spawn", {"cmd": ["true"], "env": {"HOSTILE": "1"}, "cwd": "/", "stdin": False},
          merge(F(cmd="arr", env="obj", cwd="str", stdin="bool"), {("cmd", 0): "str", ("env", "HOSTILE"): "str"}),
          flags=STREAMING, waits=True),
    Topic("exec.write", {"pid": PID, "data": "x", "eof": False}, F(pid="int", data="str", data64="str", eof="bool"),
          where="fixture", dirties=("pid",)),
    Topic("exec.kill", {"pid": PID, "signal": 0}, {("pid",): "int", ("signal",): "signal"}, where="fixture",
          dirties=("pid",)),
    Topic("exec.list"),
    Topic("exec.disconnect", dirties=("pid",), waits=True),
    # --- Sources/JobExecModule/JobExecModule.swift: handle; +Jobs.swift: startJob, killJob;
    #     +Shells.swift: launchShell, signalShell ---
    Topic("job-exec.start", {"id": 990001, "jobspec": JOBSPEC, "R": R_0, "userid": UID},
          merge({("id",): "id", ("userid",): "userid"}, with_prefix(("jobspec",), JOBSPEC_FIELDS),
               with_prefix(("R",), R_FIELDS)), where="root", flags=STREAMING, waits=True),
    Topic("job-exec.kill", {"id": 990001, "signal": 15, "terminate": False},
          {("id",): "id", ("signal",): "signal", ("terminate",): "bool"}, where="root"),
    Topic("job-exec.launch", {"id": 990002, "jobspec": JOBSPEC, "R": R_0, "userid": UID},
          merge({("id",): "id", ("userid",): "userid"}, with_prefix(("jobspec",), JOBSPEC_FIELDS[:12]),
               with_prefix(("R",), R_FIELDS)), flags=STREAMING, waits=True),
    Topic("job-exec.signal", {"id": 990002, "signal": 1}, {("id",): "id", ("signal",): "signal"}),
    # --- Sources/KVSModule/KVSModule.swift: handle, checkGuest, key; KVSModule+Requests.swift;
    #     Sources/FluxsKVS/KVSOperation.swift (the op objects of a commit) ---
    Topic("kvs.get", {"key": JOBKEY_GUEST, "namespace": "primary", "version": 0, "waitcreate": False},
          {("key",): "rkey", ("namespace",): "str", ("version",): "int", ("waitcreate",): "bool"}, where="root",
          waits=True),
    Topic("kvs.lookup", {"key": JOBKEY_GUEST, "namespace": "primary", "version": 0},
          {("key",): "rkey", ("namespace",): "str", ("version",): "int"}, where="root", waits=True),
    Topic("kvs.commit", {"ops": [{"op": "put", "key": JOBKEY_GUEST, "value": 1}], "namespace": "primary"},
          {("ops",): "arr", ("ops", 0): "obj", ("ops", 0, "op"): "str", ("ops", 0, "key"): "key",
           ("ops", 0, "value"): "any", ("namespace",): "str", ("fence",): "obj"}, where="root", extras=commit_extras),
    Topic("kvs.commit", {"ops": [{"op": "put", "key": JOBKEY_GUEST, "value": 2}], "namespace": "primary",
                         "fence": {"name": "hostile-fence", "nprocs": 1}},
          {("fence", "name"): "str", ("fence", "nprocs"): "int", ("ops", 0, "recursive"): "bool"}, where="root",
          waits=True),
    Topic("kvs.watch", {"key": JOBKEY_GUEST, "namespace": "primary"}, {("key",): "rkey", ("namespace",): "str"},
          where="root", flags=STREAMING, waits=True),
    Topic("kvs.version", {"namespace": "primary"}, F(namespace="str"), where="root"),
    Topic("kvs.wait-version", {"namespace": "primary", "version": 1}, F(namespace="str", version="int"),
          where="root", waits=True),
    Topic("kvs.namespace-create", {"name": "hostile-ns", "owner": UID}, F(name="str", owner="userid"), where="root"),
    Topic("kvs.namespace-remove", {"name": "hostile-ns"}, F(name="str"), where="root"),  # never "primary"
    Topic("kvs.namespace-list", where="root"),
    Topic("kvs.disconnect", where="root", waits=True),
    # --- Sources/ResourceModule/ResourceModule.swift: handle; ResourcePool.swift: handle, answer, targets ---
    Topic("resource.info-local"),
    Topic("resource.hello", {"rank": 1, "inventory": INV},
          merge(F(rank="int", inventory="obj"), with_prefix(("inventory",), [
              (("cores",), "int"), (("core_cpus",), "arr"), (("core_cpus", 0), "str"), (("core_ids",), "idset"),
              (("cpuset",), "idset"), (("memory",), "int"), (("hostname",), "str"), (("gpus",), "arr"),
              (("pus",), "int"), (("numa_nodes",), "int"), (("packages",), "int")])), after=undrain),
    Topic("resource.R"),
    Topic("resource.status"),
    Topic("resource.drain", {"targets": LASTRANK, "reason": "hostile", "force": False},
          {("targets",): "idset", ("reason",): "str", ("force",): "bool"}, after=undrain),
    Topic("resource.undrain", {"targets": LASTRANK}, {("targets",): "idset"}),
    # --- Sources/SchedModule/SchedModule+Requests.swift: handle, hello, alloc ---
    Topic("sched.hello", {"running": [{"id": 990101, "R": R_0}]},
          merge({("running",): "arr", ("running", 0): "obj", ("running", 0, "id"): "id"},
               with_prefix(("running", 0, "R"), R_FIELDS)), where="root", after=free_restored),
    Topic("sched.alloc", {"id": 990102, "priority": 16, "t_submit": 0, "userid": UID, "jobspec": BIGJOBSPEC},
          merge({("id",): "id", ("priority",): "int", ("t_submit",): "int", ("userid",): "userid"},
               with_prefix(("jobspec",), JOBSPEC_FIELDS)), where="root", flags=STREAMING, after=free_alloc,
          extras=jobspec_cases(lambda s: {"id": 990102, "jobspec": s}), waits=True),
    Topic("sched.free", {"id": 990103}, {("id",): "id"}, where="root"),
    Topic("sched.expiration", {"id": 990103, "expiration": 0}, {("id",): "id", ("expiration",): "int"}, where="root",
          extras=[({"id": JOB, "expiration": v}, "id=<job> expiration=%s" % label(v)) for v in INTS]),
    Topic("sched.cancel", {"id": 990103}, {("id",): "id"}, where="root"),
    Topic("sched.prioritize", {"jobs": [[990103, 16], [HELD, 16]]},
          {("jobs",): "arr", ("jobs", 0): "arr", ("jobs", 0, 0): "id", ("jobs", 0, 1): "int", ("jobs", 1, 1): "int"},
          where="root"),
    Topic("sched.feasibility", {"jobspec": JOBSPEC}, with_prefix(("jobspec",), JOBSPEC_FIELDS), where="root",
          extras=jobspec_cases(JS)),
    Topic("sched.status", where="root"),
    # --- Sources/JobManagerModule/JobManagerModule+Requests.swift: handle, jobID, submit, cancelAll, list, wait;
    #     JobManagerModule+Queues.swift: handleQueue, queueTargets ---
    Topic("job-manager.submit", {"jobspec": JOBSPEC, "urgency": 16},
          merge({("urgency",): "int"}, with_prefix(("jobspec",), JOBSPEC_FIELDS)), where="root",
          extras=jobspec_cases(JS), on_ok=cancel_submitted),
    Topic("job-manager.urgency", {"id": HELD, "urgency": 0}, {("id",): "id", ("urgency",): "int"}, where="root",
          dirties=("held",)),
    Topic("job-manager.cancel", {"id": HELD, "note": "hostile"}, {("id",): "id", ("note",): "str"}, where="root",
          dirties=("held", "job")),
    Topic("job-manager.cancel-all", {"states": "pending", "userid": UID, "dry_run": True, "note": "hostile"},
          {("userid",): "userid", ("states",): "filter", ("dry_run",): "bool", ("note",): "str"}, where="root",
          dirties=("held", "job")),
    # job-manager.update: also JobManagerModule+Update.swift (update), Sources/FluxsJobs/JobUpdate.swift (keys)
    Topic("job-manager.update", {"id": HELD, "updates": {"attributes.system.duration": 100}},
          {("id",): "id", ("updates",): "obj", ("updates", "attributes.system.duration"): "int",
           ("updates", "attributes.system.queue"): "str", ("updates", "attributes.system.job.name"): "str",
           ("updates", "attributes.system.constraints"): "obj", ("updates", "urgency"): "int"}, where="root",
          dirties=("held",)),
    Topic("job-manager.update", {"id": JOB, "updates": {"attributes.system.duration": 7200}},
          {("updates", "attributes.system.duration"): "int", ("updates", "attributes.system.queue"): "str"},
          where="root", dirties=("job",)),
    Topic("job-manager.raise", {"id": HELD, "type": "hostile", "severity": 7, "note": "hostile"},
          {("id",): "id", ("severity",): "int", ("type",): "str", ("note",): "str"}, where="root",
          dirties=("held", "job")),
    Topic("job-manager.memo", {"id": HELD, "memo": {"hostile": 1}},
          {("id",): "id", ("memo",): "obj", ("memo", "hostile"): "any"}, where="root"),
    Topic("job-manager.kill", {"id": JOB, "signal": 0}, {("id",): "id", ("signal",): "signal"}, where="root",
          dirties=("job",)),
    Topic("job-manager.list", {"filter": "", "all": True, "userid": UID, "count": 10, "since": 0, "json": False,
                               "format": "default", "header": True},
          {("userid",): "userid", ("count",): "int", ("since",): "int", ("filter",): "filter", ("all",): "bool",
           ("ids",): "arr", ("json",): "bool", ("format",): "format", ("header",): "bool"}, where="root",
          extras=list_extras),
    Topic("job-manager.info", {"id": JOB}, {("id",): "id"}, where="root"),
    Topic("job-manager.wait", {"id": JOB}, {("id",): "id"}, where="root", waits=True),
    Topic("job-manager.last", {"count": 1}, F(count="int"), where="root"),
    Topic("job-manager.queue-list", where="root"),
    Topic("job-manager.queue-enable", {"name": "batch", "enable": True, "reason": "hostile"},
          F(name="str", all="bool", enable="bool", reason="str"), where="root", after=queues_on),
    Topic("job-manager.queue-start", {"name": "batch", "start": True, "reason": "hostile"},
          F(name="str", all="bool", start="bool", reason="str"), where="root", after=queues_on),
    Topic("job-manager.queue-wait", {"name": "batch", "until": "idle"}, F(name="str", all="bool", until="str"),
          where="root", waits=True),
    Topic("job-manager.purge", {"age": 3600, "num": 1000}, F(age="int", num="int"), where="root"),
    Topic("job-manager.disconnect", where="root", waits=True),
    # --- Topics no service has, or malformed: Sources/FluxsBroker/Broker.swift routeRequest, serveLocally ---
    Topic("*hostile-topics*", {}),
]

EXCLUDED = {
    "broker.shutdown": "its correct effect stops the broker (on rank 0, the whole instance)",
    "module.remove": "its correct effect stops a service the test needs",
    "log.clear": "it reads no field, and its correct effect empties the log a failure report shows",
    "kvs.namespace-remove of primary": "refused by the service, and its effect would be the KVS itself",
    "kvs.commit to the root, over a job's eventlog, or to resource.*": "their correct effect wipes what the "
                                                                       "job manager and the resource module keep",
    "attr.set leaving a runtime attribute changed": "each one is put back right after its hostile value",
}

HOSTILE_TOPICS = [
    "", ".", "..", "broker", "broker.", ".ping", "broker.ping.", "broker..ping", "nosuchservice.method",
    "job-manager.nosuchmethod", "kvs.nosuchmethod", "sched.nosuchmethod", "resource.nosuchmethod",
    "exec.nosuchmethod", "job-exec.nosuchmethod", "heartbeat.nosuchmethod", "attr.nosuchmethod",
    "module.nosuchmethod", "overlay.nosuchmethod", "config.nosuchmethod", "x" * 65000, "é.ping", "\x00.ping",
    "kvs\x00.get", "broker.ping\x00", "nosuchservice.disconnect", " .ping", "\U0001F600.ping",
]

# MARK: - Building cases


def set_path(obj, path, value):
    if not path:
        return value
    node = obj
    for key in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(key, {})
        elif isinstance(node, list) and isinstance(key, int):
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            return obj
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    return obj


def dump(value, out, tool):
    """Writes value as JSON text into out (a list of bytes), Raw as is, Fix resolved."""
    if isinstance(value, Raw):
        out.append(value.text)
    elif isinstance(value, Fix):
        dump(tool.resolve(value), out, tool)
    elif value is None:
        out.append(b"null")
    elif value is True:
        out.append(b"true")
    elif value is False:
        out.append(b"false")
    elif isinstance(value, (int, float)):
        out.append(json.dumps(value).encode())
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    elif isinstance(value, (list, tuple)):
        out.append(b"[")
        for i, v in enumerate(value):
            if i:
                out.append(b",")
            dump(v, out, tool)
        out.append(b"]")
    elif isinstance(value, dict):
        out.append(b"{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.append(b",")
            out.append(json.dumps(str(k), ensure_ascii=False).encode("utf-8", "surrogatepass") + b":")
            dump(v, out, tool)
        out.append(b"}")
    else:
        raise TypeError("cannot write %r" % (value,))


def resolve_tree(value, tool):
    """A copy of the payload object with every Fix replaced by (a copy of) its value."""
    if isinstance(value, Fix):
        return copy.deepcopy(tool.resolve(value))
    if isinstance(value, list):
        return [resolve_tree(v, tool) for v in value]
    if isinstance(value, dict):
        return {k: resolve_tree(v, tool) for k, v in value.items()}
    return value


class Case:
    __slots__ = ("topic", "label", "obj", "data", "flags", "nodeid")

    def __init__(self, topic, label, obj=None, data=None, flags=0, nodeid=None):
        self.topic, self.label, self.obj, self.data, self.flags, self.nodeid = topic, label, obj, data, flags, nodeid


def cases_of(t, tool, seed):
    """The cases of one topic, in order: plain payload, fields set to hostile values
    (interleaved: every field's first value, then every field's second, ...), extras,
    whole hostile payloads, other flags; mixed one from each list in turn."""
    if t.topic == "*hostile-topics*":
        def hostile_topics():
            for name in HOSTILE_TOPICS:
                for nodeid in (ANY, 0, UPSTREAM, 4294967293):
                    yield Case(name, "topic=%s nodeid=%d" % (label(name), nodeid), obj={}, nodeid=nodeid)
        yield from hostile_topics()
        return

    def base():
        yield Case(t.topic, "plain payload", obj=t.base, flags=t.flags)

    def fields():
        lists = [(path, KINDS[kind]) for path, kind in t.fields.items()]
        for i in range(max((len(v) for _, v in lists), default=0)):
            for path, values in lists:
                if i < len(values):
                    obj = set_path(resolve_tree(t.base, tool), path, values[i])
                    yield Case(t.topic, "%s=%s" % (".".join(map(str, path)) or "payload", label(values[i])),
                               obj=obj, flags=t.flags)

    def extras():
        items = t.extras(tool) if callable(t.extras) else t.extras
        for obj, what in items:
            nodeid = None
            m = re.match(r"nodeid=(\d+)$", what)
            if m:
                nodeid = int(m.group(1))
            merged = copy.deepcopy(t.base)
            if isinstance(obj, dict):
                merged.update(obj)
            else:
                merged = obj
            yield Case(t.topic, what, obj=merged, flags=t.flags, nodeid=nodeid)

    def garbage():
        for data, what in garbage_payloads(seed):
            yield Case(t.topic, "payload=" + what, data=data, flags=t.flags)

    def flags():
        for f in (0, STREAMING, NORESPONSE, STREAMING | NORESPONSE):
            if f != t.flags:
                yield Case(t.topic, "flags=%d" % f, obj=t.base, flags=f)

    yield from interleave([base(), fields(), extras(), garbage(), flags()])


def interleave(generators):
    live = list(generators)
    while live:
        for g in list(live):
            try:
                yield next(g)
            except StopIteration:
                live.remove(g)

# MARK: - Connections


class Dropped(Exception):
    pass


class Conn:
    def __init__(self, name, path, rank):
        self.name, self.path, self.rank = name, path, rank
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(30)  # a frame that starts arriving must finish
        self.matchtag = 0

    def next_tag(self):
        self.matchtag = self.matchtag % 0xFFFFFFFF + 1
        return self.matchtag

    def send(self, topic, payload, matchtag, flags, nodeid):
        try:
            self.sock.sendall(raw.encode(raw.REQUEST, topic, payload, matchtag=matchtag, flags=flags, nodeid=nodeid))
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            raise Dropped("%s: sending failed: %s" % (self.name, e))

    def receive(self):
        try:
            m = raw.receive(self.sock)
        except socket.timeout:
            raise Dropped("%s: the broker stopped in the middle of a frame" % self.name)
        except (ConnectionResetError, OSError) as e:
            raise Dropped("%s: %s" % (self.name, e))
        except (UnicodeDecodeError, IndexError, TypeError, struct.error) as e:
            raise Dropped("%s: a frame from the broker does not decode: %s" % (self.name, e))
        if m is None:
            raise Dropped("%s: the broker closed the connection" % self.name)
        return m


def errnum_of(m):
    return struct.unpack("<i", struct.pack("<I", m["aux"]))[0]

# MARK: - The tool


class Pending:
    __slots__ = ("conn", "topic", "label", "sent", "preview", "streaming", "on_ok", "waits", "got", "sync")

    def __init__(self, conn, topic, label, preview, streaming, on_ok, waits, sync=False):
        self.conn, self.topic, self.label, self.preview = conn, topic, label, preview
        self.sent = time.monotonic()
        self.streaming, self.on_ok, self.waits, self.sync = streaming, on_ok, waits, sync
        self.got = None


class Failure(Exception):
    pass


class Tool:
    def __init__(self, args):
        self.args = args
        self.conns = []
        self.pending = {}  # (conn index, matchtag) -> Pending
        self.batch = []  # (conn name, nodeid, flags, topic, label, preview) since the last good ping
        self.last = None
        self.fixtures = {}
        self.dirty = {"job", "held", "pid"}
        self.attr_originals = {}
        self.stats = dict(sent=0, answered=0, ok=0, err=0, stream=0, late=0, unanswered=0, pings=0, cleanup=0,
                          events=0, requests_in=0)
        self.errnos = {}
        self.eio = {}
        self.slow = {}
        self.topics_done = set()
        self.log = open(args.log, "w") if args.log else None

    # -- setup

    def setup(self):
        uri = os.environ.get("FLUXS_URI", "")
        if not uri.startswith("local://"):
            raise SystemExit("fluxs-hostile: FLUXS_URI must be local://PATH (got %r)" % uri)
        first = Conn("FLUXS_URI", uri[len("local://"):], None)
        self.conns.append(first)
        ping = self.rpc(0, "broker.ping", {}, ANY)
        info = self.rpc(0, "broker.info", {}, ANY)
        if ping is None or info is None:
            raise SystemExit("fluxs-hostile: the broker at %s does not answer" % uri)
        first.rank = info["rank"]
        first.name = "rank %d (FLUXS_URI)" % first.rank
        self.size = info["size"]
        self.owner = bool(ping["rolemask"] & 1)
        self.userid = ping["userid"]
        self.pids = {}
        for r in range(self.size):
            pid = self.rpc(0, "attr.get", {"name": "broker.pid"}, r)
            if pid:
                self.pids[r] = int(pid["value"])
        if not self.args.one_connection:
            for r in range(self.size):
                if r == first.rank:
                    continue
                answer = self.rpc(0, "attr.get", {"name": "local-uri"}, r)
                if not isinstance(answer, dict):
                    continue
                path = answer["value"][len("local://"):]
                try:
                    self.conns.append(Conn("rank %d" % r, path, r))
                except OSError as e:
                    self.note("cannot connect to rank %d (%s): %s; going through rank %d only" % (
                        r, path, e, first.rank))
        R = self.rpc(0, "resource.R", {}, ANY)
        self.R = R if isinstance(R, dict) else {}
        self.ncores = 0
        for entry in self.R.get("execution", {}).get("R_lite", []):
            self.ncores += idset_size(entry.get("rank", "")) * idset_size(entry.get("children", {}).get("core", ""))
        hosts = {}
        self.inventory = {}
        for r in range(self.size):
            local = self.rpc(0, "resource.info-local", {}, r) if self.owner else None
            if isinstance(local, dict):
                hosts[r] = local.get("inventory", {}).get("hostname", "localhost")
                self.inventory[r] = local.get("inventory", {})
        host0 = hosts.get(0, "localhost")
        self.R0 = {"version": 1, "execution": {"R_lite": [{"rank": "0", "children": {"core": "0"}}],
                                               "nodelist": [host0], "starttime": 0, "expiration": 0}}
        if self.owner:
            for r in range(self.size):
                for name in RUNTIME_ATTRS:
                    got = self.rpc(0, "attr.get", {"name": name}, r, quiet=True)
                    if isinstance(got, dict):
                        self.attr_originals[(r, name)] = got["value"]
        self.out("fluxs-hostile: uid %d (%s) on an instance of size %d; %d connection(s): %s" % (
            self.userid, "owner" if self.owner else "guest", self.size, len(self.conns),
            ", ".join(c.name for c in self.conns)))

    def note(self, text):
        self.out("# " + text)

    def out(self, text):
        print(text, flush=True)
        if self.log:
            self.log.write(text + "\n")

    def rank_of(self, nodeid):
        if nodeid in (ANY, None):
            return self.conns[0].rank
        return nodeid

    # -- fixtures

    def resolve(self, fix):
        name = fix.name
        if name == "uid":
            return self.userid
        if name == "R":
            return self.R
        if name == "R0":
            return self.R0
        if name == "inventory":
            return self.inventory.get(self.size - 1, self.inventory.get(0, {}))
        if name == "lastrank":
            return str(self.size - 1)
        if name == "jobspec":
            return jobspec()
        if name == "bigjobspec":
            spec = jobspec()
            spec["resources"][0]["count"] = max(1, self.ncores)
            return spec
        if name == "jobkey":
            job = self.fixture("job")
            return "job.%s%s" % (".".join(re.findall("....", "%016x" % (job % 2**64))), fix.suffix)
        return self.fixture(name)

    def fixture(self, name):
        if name in self.dirty:
            self.dirty.discard(name)
            try:
                self.fixtures[name] = self.make_fixture(name, self.fixtures.get(name))
            except Dropped:
                raise
            except Exception as e:  # a fixture that cannot be made is not a broker failure
                self.note("fixture %s: %s" % (name, e))
                self.fixtures.setdefault(name, 1)
        return self.fixtures.get(name, 1)

    def make_fixture(self, name, old):
        if name == "pid":
            if not self.owner:
                return 1
            rank = self.conns[0].rank
            if old:
                procs = self.rpc(0, "exec.list", {}, rank)
                if isinstance(procs, dict) and any(p.get("pid") == old and p.get("state") == "running"
                                                   for p in procs.get("procs", [])):
                    return old
            started = self.rpc(0, "exec.spawn", {"cmd": ["sh", "-c", "exec cat >/dev/null"], "stdin": True}, rank,
                               flags=STREAMING)
            if not isinstance(started, dict) or "pid" not in started:
                raise RuntimeError("exec.spawn of the fixture answered %r" % (started,))
            return started["pid"]
        want_running = name == "job"
        if old and old != 1:
            info = self.rpc(0, "job-manager.info", {"id": old}, ANY, quiet=True)
            state = info.get("state") if isinstance(info, dict) else None
            if want_running and state not in (None, "INACTIVE", "CLEANUP"):
                return old  # running, or still waiting for resources: do not pile up jobs
            if not want_running and state not in (None, "INACTIVE", "RUN", "CLEANUP"):
                return old  # still held
        spec = jobspec(run_duration="3600s")
        answer = self.rpc(0, "job-manager.submit", {"jobspec": spec, "urgency": 16 if want_running else 0}, ANY)
        if not isinstance(answer, dict) or "id" not in answer:
            raise RuntimeError("job-manager.submit of the fixture answered %r" % (answer,))
        return self.wait_running(answer["id"]) if want_running else answer["id"]

    def wait_running(self, job):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            info = self.rpc(0, "job-manager.info", {"id": job}, ANY, quiet=True)
            if isinstance(info, dict) and info.get("state") in ("RUN", "INACTIVE", "CLEANUP"):
                return job
            self.pump(0.02)
        self.note("fixture job %d is not running after 5 s" % job)
        return job

    # -- sending and receiving

    def encode_case(self, case):
        if case.data is not None:
            return case.data
        out = []
        dump(case.obj, out, self)
        return b"".join(out)

    def send(self, ci, topic, payload, nodeid, flags=0, label="", on_ok=None, waits=False, track=True, sync=False):
        conn = self.conns[ci]
        tag = conn.next_tag()
        conn.send(topic, payload, tag, flags, nodeid)
        wants = not (flags & NORESPONSE)
        if wants and track:
            self.pending[(ci, tag)] = Pending(conn, topic, label, short(payload, 160), bool(flags & STREAMING),
                                              on_ok, waits, sync)
        return tag

    def send_quiet(self, topic, obj, nodeid, ci=0):
        """A cleanup request: answered, not counted as hostile."""
        out = []
        dump(obj, out, self)
        self.stats["cleanup"] += 1
        self.send(ci, topic, b"".join(out), nodeid, label="cleanup", waits=True)

    def rpc(self, ci, topic, obj, nodeid, flags=0, timeout=10, quiet=False):
        """A request whose first answer is waited for; its payload (a success), else None."""
        out = []
        dump(obj, out, self)
        tag = self.send(ci, topic, b"".join(out), nodeid, flags=flags, label="setup", waits=True, sync=True)
        key = (ci, tag)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p = self.pending.get(key)
            if p is None or p.got is not None:
                got = p.got if p is not None else None
                if p is not None and (not p.streaming or got[0] != 0):
                    self.pending.pop(key, None)
                if got is None or got[0] != 0:
                    if not quiet and got is not None:
                        self.note("%s: errno %d: %s" % (topic, got[0], short(got[1], 200)))
                    return None
                try:
                    return json.loads(got[1])
                except ValueError:
                    return None
            self.pump(0.05)
        self.pending.pop(key, None)
        if not quiet:
            self.note("%s (nodeid %d) got no answer within %d s" % (topic, nodeid, timeout))
        return None

    def pump(self, timeout):
        """Reads whatever arrived (waiting at most timeout for the first frame)."""
        socks = {c.sock: i for i, c in enumerate(self.conns)}
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(list(socks), [], [], left)
            if not ready:
                return
            for s in ready:
                ci = socks[s]
                self.dispatch(ci, self.conns[ci].receive())
            deadline = time.monotonic()  # after the first frames, only what is already there

    def dispatch(self, ci, m):
        if m["type"] == raw.EVENT:
            self.stats["events"] += 1
            return
        if m["type"] == raw.REQUEST:
            # For a service this client registered (service.add with a hostile name): it
            # says it has no such method, so that the request's sender (this tool) is answered.
            self.stats["requests_in"] += 1
            if not m["flags"] & NORESPONSE:
                try:
                    self.conns[ci].sock.sendall(raw.encode(
                        raw.RESPONSE, m["topic"], b"fluxs-hostile provides no method", matchtag=m["matchtag"],
                        flags=m["flags"], route=m["route"], aux=errno.ENOSYS, nodeid=m["nodeid"]))
                except OSError as e:
                    raise Dropped("%s: sending failed: %s" % (self.conns[ci].name, e))
            return
        if m["type"] != raw.RESPONSE:
            return
        key = (ci, m["matchtag"])
        p = self.pending.get(key)
        if p is None:
            self.stats["late"] += 1
            return
        e = errnum_of(m)
        final = not p.streaming or e != 0
        if p.sync:
            if p.got is None:
                p.got = (e, m["payload"])  # rpc() or ping_all() takes it
            elif final:
                self.pending.pop(key, None)  # the end of a stream whose first answer was taken
            return
        if p.label == "cleanup":
            if final:
                self.pending.pop(key, None)
            return
        if p.got is None:
            self.stats["answered"] += 1
            if e == 0:
                self.stats["ok"] += 1
                if p.on_ok:
                    try:
                        p.on_ok(self, json.loads(m["payload"]))
                    except ValueError:
                        pass
            else:
                self.stats["err"] += 1
                name = errno.errorcode.get(e, str(e))
                self.errnos[name] = self.errnos.get(name, 0) + 1
                if e == errno.EIO:
                    self.eio.setdefault(p.topic, []).append("%s -> %s" % (p.label, short(m["payload"], 160)))
        else:
            self.stats["stream"] += 1
        p.got = (e, b"")
        if final:
            self.pending.pop(key, None)

    def expire(self):
        now = time.monotonic()
        for key, p in list(self.pending.items()):
            if p.got is None and now - p.sent > self.args.timeout:
                self.pending.pop(key)
                if p.label == "cleanup" or p.sync:
                    continue
                self.stats["unanswered"] += 1
                if not p.waits:
                    self.slow.setdefault(p.topic, []).append("(%s) via %s: %s" % (p.label, p.conn.name, p.preview[:80]))

    # -- checking the brokers

    def ping_all(self, why):
        """Pings every rank through every connection; raises Failure when one does not answer."""
        self.stats["pings"] += 1
        tags = {}
        for ci in range(len(self.conns)):
            for r in range(self.size):
                tags[(ci, r)] = self.send(ci, "broker.ping", b'{"hostile":"check"}', r, label="ping", sync=True)
        deadline = time.monotonic() + self.args.ping_timeout
        while True:
            missing = [(ci, r) for (ci, r), tag in tags.items()
                       if self.pending.get((ci, tag)) is not None and self.pending[(ci, tag)].got is None]
            answered = {(ci, r): self.pending.pop((ci, tag)).got for (ci, r), tag in tags.items()
                        if self.pending.get((ci, tag)) is not None and self.pending[(ci, tag)].got is not None}
            for (ci, r), got in answered.items():
                if got[0] != 0:
                    raise Failure("rank %d answered broker.ping (through %s) with errno %d: %s" % (
                        r, self.conns[ci].name, got[0], short(got[1], 200)))
            if not missing:
                self.batch = []
                return
            if time.monotonic() > deadline:
                raise Failure("no answer to broker.ping from %s within %g s (%s)" % (
                    ", ".join("rank %d through %s" % (r, self.conns[ci].name) for ci, r in missing),
                    self.args.ping_timeout, why))
            self.pump(0.05)

    def report_failure(self, what):
        self.out("FAIL: %s" % what)
        if self.last:
            conn, nodeid, flags, topic, lab, preview = self.last
            self.out("FAIL: the last request sent: %s (%s) via %s nodeid %s flags %d: payload %s" % (
                topic, lab, conn, "ANY" if nodeid == ANY else nodeid, flags, preview))
        unanswered = {(p.conn.name, p.topic, p.label) for p in self.pending.values() if p.got is None and not p.sync}
        if self.batch:
            self.out("FAIL: sent since the last good ping (oldest first; * = not answered):")
            for conn, nodeid, flags, topic, lab, preview in self.batch[-40:]:
                mark = "*" if (conn, topic, lab) in unanswered else " "
                self.out("FAIL: %s %s (%s) via %s nodeid %s flags %d: %s" % (
                    mark, topic, lab, conn, "ANY" if nodeid == ANY else nodeid, flags, preview))
        for r, pid in sorted(self.pids.items()):
            try:
                os.kill(pid, 0)
                state = "still running"
            except ProcessLookupError:
                state = "GONE"
            except PermissionError:
                state = "still running"
            self.out("FAIL: rank %d broker (pid %d): %s" % (r, pid, state))
        if self.owner:
            self.dmesg_of_survivors()

    def dmesg_of_survivors(self):
        for c in self.conns:
            try:
                s = Conn(c.name, c.path, c.rank)
                s.sock.settimeout(5)
                s.send("log.dmesg", b"{}", 1, STREAMING, ANY)
                lines = []
                while True:
                    m = s.receive()
                    if m["type"] != raw.RESPONSE or m["matchtag"] != 1:
                        continue
                    if errnum_of(m):
                        break
                    e = json.loads(m["payload"])
                    lines.append("rank %s %s[%s]: %s" % (e.get("rank"), e.get("appname"), e.get("level"),
                                                        short(e.get("message", ""), 300)))
                self.out("FAIL: last log lines of %s:" % c.name)
                for line in lines[-12:]:
                    self.out("FAIL:   " + line)
            except (Dropped, OSError, ValueError) as e:
                self.out("FAIL: no log from %s: %s" % (c.name, e))

    # -- the run

    def run(self):
        args = self.args
        only = re.compile(args.only) if args.only else None
        skip = re.compile(args.skip) if args.skip else None
        chosen = [t for t in TOPICS if (not only or only.search(t.topic)) and not (skip and skip.search(t.topic))]
        gens = [(t, cases_of(t, self, args.seed)) for t in chosen]
        counters = {id(t): 0 for t in chosen}
        start = time.monotonic()
        deadline = start + args.seconds
        g = 0
        self.ping_all("before the first request")
        while gens and self.stats["sent"] < args.count and time.monotonic() < deadline:
            for item in list(gens):
                if self.stats["sent"] >= args.count or time.monotonic() >= deadline:
                    break
                t, gen = item
                try:
                    case = next(gen)
                except StopIteration:
                    gens.remove(item)
                    continue
                k = counters[id(t)]
                counters[id(t)] += 1
                if case.nodeid is not None:
                    nodeid = case.nodeid
                elif t.where == "each":
                    targets = [ANY] + list(range(self.size))
                    nodeid = targets[k % len(targets)]
                elif t.where == "fixture":
                    nodeid = self.conns[0].rank
                else:
                    nodeid = ANY
                ci = g % len(self.conns)
                g += 1
                payload = self.encode_case(case)
                entry = (self.conns[ci].name, nodeid, case.flags, case.topic, case.label, short(payload, 160))
                self.last = entry
                self.batch.append(entry)
                if self.log:
                    self.log.write("%d %s nodeid=%s flags=%d %s (%s): %s\n" % (
                        self.stats["sent"], entry[0], nodeid, case.flags, case.topic, case.label, entry[5]))
                self.send(ci, case.topic, payload, nodeid, flags=case.flags, label=case.label,
                          on_ok=t.on_ok, waits=t.waits)
                self.stats["sent"] += 1
                self.topics_done.add(t.topic)
                for d in t.dirties:
                    self.dirty.add(d)
                if t.after and case.obj is not None:
                    for topic, obj, nid in t.after(self, resolve_tree(case.obj, self), nodeid):
                        self.send_quiet(topic, obj, nid, ci=ci)
                self.pump(0)
                if len(self.batch) >= args.batch:
                    self.ping_all("after %s (%s)" % (case.topic, case.label))
                    self.expire()  # after a ping round: what came before it was handled
        elapsed = time.monotonic() - start
        self.ping_all("after the last request")
        # The last requests get their full --timeout before those still unanswered are counted.
        until = time.monotonic() + self.args.timeout
        while time.monotonic() < until and any(p.got is None and not p.waits and not p.sync and p.label != "cleanup"
                                                for p in self.pending.values()):
            self.pump(0.1)
        self.cleanup()
        self.pump(0.5)
        self.expire()
        self.ping_all("after the cleanup")
        self.summary(elapsed, chosen, gens)

    def cleanup(self):
        for name in ("job", "held"):
            job = self.fixtures.get(name)
            if job and job != 1:
                self.send_quiet("job-manager.cancel", {"id": job, "note": "fluxs-hostile cleanup"}, ANY)
        if self.fixtures.get("pid", 1) != 1:
            self.send_quiet("exec.kill", {"pid": self.fixtures["pid"], "signal": 9}, self.conns[0].rank)
        for r in range(self.size):
            self.send_quiet("resource.undrain", {"targets": str(r)}, r)
        if self.owner:
            for (r, name), value in self.attr_originals.items():
                self.send_quiet("attr.set", {"name": name, "value": value}, r)
            self.send_quiet("job-manager.queue-enable", {"all": True, "enable": True}, ANY)
            self.send_quiet("job-manager.queue-start", {"all": True, "start": True}, ANY)

    def summary(self, elapsed, chosen, gens):
        s = self.stats
        untouched = sorted({t.topic for t in chosen} - self.topics_done)
        self.out("fluxs-hostile: %s uid %d: %d requests to %d topics in %.1f s (%s) through %d connection(s); "
                 "answered %d (%d ok, %d errors), streamed %d more, %d with no answer within %g s; "
                 "%d cleanup requests; %d ping rounds: every broker (ranks 0-%d) still answers" % (
                     "owner" if self.owner else "guest", self.userid, s["sent"], len(self.topics_done), elapsed,
                     "every case" if not gens else "time or count limit; %d topics had cases left" % len(gens),
                     len(self.conns), s["answered"], s["ok"], s["err"], s["stream"], s["unanswered"],
                     self.args.timeout, s["cleanup"], s["pings"], self.size - 1))
        if untouched:
            self.note("topics never reached: " + " ".join(untouched))
        if self.errnos:
            self.note("errors: " + " ".join("%s:%d" % kv for kv in sorted(self.errnos.items(), key=lambda kv: -kv[1])))
        if self.slow:
            self.out("FAIL: no answer within %g s to requests that must be answered (a client would hang):" %
                     self.args.timeout)
            for t, v in sorted(self.slow.items()):
                self.out("FAIL:   %s: %d, e.g. %s" % (label(t), len(v), "; ".join(v[:3])))
        if self.eio:
            self.note("EIO (unexpected failure) answers:")
            for t, v in sorted(self.eio.items()):
                self.note("  %s: %d, e.g. %s" % (t, len(v), "; ".join(v[:3])))


def list_topics():
    for t in TOPICS:
        fields = ", ".join("%s:%s" % (".".join(map(str, p)) or "payload", k) for p, k in t.fields.items())
        print("%-26s %-7s %s" % (t.topic, t.where, fields))
    for name, why in EXCLUDED.items():
        print("%-26s left out: %s" % (name, why))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20, help="stop sending after this long (default 20)")
    p.add_argument("--count", type=int, default=1000000, help="send at most this many hostile requests")
    p.add_argument("--seed", type=int, default=11, help="seed of the random bytes (default 11)")
    p.add_argument("--batch", type=int, default=16, help="ping every rank after this many requests (default 16)")
    p.add_argument("--timeout", type=float, default=10, help="a request not answered after this long (and a ping "
                   "round) is counted (s, default 10)")
    p.add_argument("--ping-timeout", type=float, default=10, help="a broker that does not answer a ping this long "
                   "has stopped (s)")
    p.add_argument("--only", help="only topics matching this regular expression")
    p.add_argument("--skip", help="leave out topics matching this regular expression")
    p.add_argument("--one-connection", action="store_true", help="connect to the broker of FLUXS_URI only")
    p.add_argument("--allow-unanswered", action="store_true", help="exit 0 even when requests that must be "
                   "answered were not")
    p.add_argument("--log", help="write every request sent to this file")
    p.add_argument("--list", action="store_true", help="list the topics and their fields, and exit")
    args = p.parse_args(argv[1:])
    if args.list:
        list_topics()
        return 0
    tool = Tool(args)
    try:
        try:
            tool.setup()
        except (Dropped, OSError) as e:
            print("fluxs-hostile: setup: %s" % e, file=sys.stderr)
            return 2
        tool.run()
        return 3 if tool.slow and not args.allow_unanswered else 0
    except Failure as e:
        tool.report_failure(str(e))
        return 1
    except Dropped as e:
        tool.report_failure("connection dropped: %s" % e)
        return 1
    finally:
        if tool.log:
            tool.log.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
