#!/usr/bin/env bash
# Runs psij-python 0.9.11's own test suite against fluxs, through the PSI/J executor of
# bindings/python (psij_fluxs), inside a test instance of two nodes:
#   t/clients/psij.sh VENV
# VENV is the clients' virtualenv (t/clients/make-venv.sh). psij's sdist has no runnable
# test tree, so the suite comes from a git checkout of ExaWorks/psij-python at tag 0.9.11:
# PSIJ_TESTS names one (a work tree or a bare repository); without it, the tag is cloned
# from GitHub, and if that fails the script says to set PSIJ_TESTS and exits 1 (0, with
# a SKIPPED line, when PSIJ_OPTIONAL is set: CI reaches PyPI but not GitHub).
# The tree is cloned into a scratch directory (psij's conftest runs git and wants a remote
# named origin; its results go there too), the run gets a private HOME (psij keeps its
# files in ~/.psij), and the whole run is bounded by PSIJ_TIMEOUT seconds (default 1200).
# The scratch directory is removed at the end. The exit status is pytest's.
set -euo pipefail

venv=${1:?usage: psij.sh VENV}
venv=$(cd "$venv" && pwd)
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${FLUXS_BUILD_DIR:-$srcdir/.build/release}
timeout_s=${PSIJ_TIMEOUT:-1200}
tag=0.9.11
upstream=https://github.com/ExaWorks/psij-python

scratch=$(mktemp -d "${TMPDIR:-/tmp}/fluxs-psij.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

tree=$scratch/psij-python
source=${PSIJ_TESTS:-$upstream}
if ! GIT_TERMINAL_PROMPT=0 timeout 300 git clone --quiet --branch "$tag" "$source" "$tree" >"$scratch/clone.log" 2>&1; then
    if [ -n "${PSIJ_TESTS:-}" ]; then
        echo "psij.sh: cannot clone tag $tag from PSIJ_TESTS=$PSIJ_TESTS: $(tail -1 "$scratch/clone.log")" >&2
    elif [ -n "${PSIJ_OPTIONAL:-}" ]; then
        # CI machines reach PyPI but not GitHub: say so, loudly, and leave it.
        echo "psij.sh: SKIPPED psij-python's own suite: cannot clone $upstream (no PSIJ_TESTS)" >&2
        exit 0
    else
        echo "psij.sh: cannot clone $upstream; set PSIJ_TESTS to a psij-python checkout with tag $tag" >&2
    fi
    exit 1
fi
mkdir "$scratch/home"

timeout_opt=
if "$venv/bin/python" -c 'import pytest_timeout' 2>/dev/null; then
    timeout_opt=--timeout=300
fi

echo "psij.sh: psij-python $tag suite, executors fluxs:single,fluxs:multiple,fluxs:mpirun"
start=$(date +%s)
status=0
(
    cd "$tree"
    export HOME=$scratch/home PATH="$build:$PATH" LC_ALL=C.UTF-8 LANG=C.UTF-8
    export PYTHONPATH="$srcdir/bindings/python:tests/plugins1:tests/plugins2"
    unset FLUXS_URI
    exec timeout --kill-after=30 "$timeout_s" \
        fluxs start --test-size=2 \
        "$venv/bin/pytest" tests -k fluxs \
        --executors=fluxs:single,fluxs:multiple,fluxs:mpirun \
        -p no:cacheprovider -q -rfEs $timeout_opt </dev/null
) || status=$?
echo "psij.sh: exit status $status after $(( $(date +%s) - start ))s"
[ "$status" -ne 124 ] || echo "psij.sh: the suite did not end within ${timeout_s}s" >&2
exit "$status"
