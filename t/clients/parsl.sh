#!/usr/bin/env bash
# Runs Parsl's own test suite (parsl 2026.10.26, from the venv t/clients/make-venv.sh
# makes) with t/clients/parsl_config.py: a HighThroughputExecutor whose block is a
# fluxs batch job made by parsl_fluxs.FluxsProvider, in a test instance of two brokers.
#   t/clients/parsl.sh VENV [PYTEST ARGS...]
# The filter is the one Parsl's own Slurm and HTCondor CI uses: cleannet tests need
# the internet, the unix_filesystem_permissions_required ones fail as root.  Parsl's
# conftest drops its @pytest.mark.local tests by itself when --config is given.
# Everything runs in a scratch directory of its own (HOME, TMPDIR, the working
# directory), removed at the end unless PARSL_KEEP=1; the whole run is bounded by
# PARSL_TIMEOUT seconds (default 1800) and each test by PARSL_TEST_TIMEOUT (300).
# Exit status: pytest's.
set -euo pipefail
venv=$(cd "${1:?usage: parsl.sh VENV [PYTEST ARGS...]}" && pwd)
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=${FLUXS_BINDIR:-$top/.build/release}
[ -x "$bindir/fluxs" ] || { echo >&2 "parsl.sh: no fluxs in $bindir (make build)"; exit 1; }
[ -x "$venv/bin/python" ] || { echo >&2 "parsl.sh: $venv is not a virtual environment"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/fluxs-parsl.XXXXXX")
cleanup() {
    local rc=$?
    # The instance ends with pytest (or with the timeout); kill whatever was
    # started from the scratch directory and outlived it.
    # (The list of /proc is taken before any of the readers below starts.)
    local pids="" e p
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}
        p=${p%/environ}
        [ "$p" = "$$" ] && continue
        if tr '\0' '\n' 2>/dev/null <"$e" | grep -q -x -F "FLUXS_PARSL_SCRATCH=$scratch"; then
            pids="$pids $p"
        fi
    done
    if [ -n "$pids" ]; then
        echo >&2 "parsl.sh: killing processes left behind: $(echo $pids)"
        kill -KILL $pids 2>/dev/null || true
    fi
    if [ "${PARSL_KEEP:-0}" = 1 ]; then
        echo >&2 "parsl.sh: kept $scratch"
    else
        rm -rf "$scratch"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$scratch/home" "$scratch/tmp" "$scratch/run"
export HOME=$scratch/home TMPDIR=$scratch/tmp FLUXS_PARSL_SCRATCH=$scratch
export PATH=$venv/bin:$bindir:$PATH
export PYTHONPATH=$top/bindings/python${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1
unset FLUXS_URI FLUXS_JOB_ID
cd "$scratch/run"

tests=$("$venv/bin/python" -c 'import os, parsl.tests; print(os.path.dirname(parsl.tests.__file__))')
echo "parsl.sh: parsl $("$venv/bin/python" -c 'import parsl; print(parsl.__version__)') from $tests"
start=$(date +%s)
set +e
timeout --kill-after=30 "${PARSL_TIMEOUT:-1800}" \
    "$bindir/fluxs" start --test-size=2 \
    "$venv/bin/python" -m pytest "$tests" \
        --config "$top/t/clients/parsl_config.py" \
        -k "not cleannet and not unix_filesystem_permissions_required" \
        -p no:cacheprovider --timeout="${PARSL_TEST_TIMEOUT:-300}" \
        -ra --durations=10 "$@"
rc=$?
set -e
echo "parsl.sh: exit status $rc after $(( $(date +%s) - start )) s"
exit $rc
