"""Runs one Parsl app inside a fluxs job (the command of each FluxsExecutor job).

    python fluxs_worker.py -i TASK.pkl -o RESULT.pkl

reads the app and its arguments, packed by Parsl, from TASK.pkl, calls it, and
(in task rank 0 only, for a job of several tasks) writes a serialized TaskResult
to RESULT.pkl: the value, or the exception the app raised.  Any other failure
(an unreadable input, a result that cannot be serialized) makes the job exit
non-zero, which the executor reports as an AppException.
"""

import argparse
import logging
import os
import sys


def _task_rank() -> int:
    for name in ("FLUXS_TASK_RANK", "FLUX_TASK_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return 0


def main(argv=None) -> int:
    # parsl_fluxs lives next to this file's directory: make sure it imports
    # even when the job's PYTHONPATH does not name it.
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if here not in sys.path:
        sys.path.append(here)
    from parsl.executors.execute_task import execute_task
    from parsl.serialize import serialize

    from parsl_fluxs._task import TaskResult

    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(levelname)s] %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--input", required=True, help="the packed app and arguments")
    parser.add_argument("-o", "--output", required=True, help="where to write the result")
    args = parser.parse_args(argv)

    with open(args.input, "rb") as handle:
        packed = handle.read()
    logging.info("running the app of %s", args.input)
    try:
        outcome = TaskResult(execute_task(packed), None)
    except Exception as exc:  # the app's own failure goes back to Parsl
        logging.exception("the app raised")
        outcome = TaskResult(None, exc)
    if _task_rank() == 0:
        data = serialize(outcome)
        # Write then rename, so that the executor never reads half a file.
        partial = args.output + ".partial"
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, args.output)
        logging.info("result written to %s", args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
