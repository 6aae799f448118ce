# t/lib/test-lib.sh: the fluxs integration test harness (TAP, run by prove).
#
# A test script sets test_description, sources this file, calls test_expect_success
# and friends, and ends with test_done. Each test body runs:
#   - in its own process group, with a timeout (FLUXS_TEST_TIMEOUT seconds, default 60),
#     after which the whole group gets SIGTERM, then SIGKILL;
#   - with its output captured; on failure the output is printed as TAP diagnostics;
#   - inside the script's trash directory t/trash-NAME, removed when every test passed.
# Every process a script starts carries FLUXS_TEST_MARKER in its environment; at
# test_done (and on any exit) the harness kills every process that still carries it,
# so nothing a test started outlives the script, not even a process that left its group.
#
# Options (after the script name, or in FLUXS_TEST_OPTS): -v|--verbose shows each body's
# output, -d|--debug keeps the trash directory.

set -u
export LC_ALL=C.UTF-8 LANG=C.UTF-8 TZ=UTC

# MARK: - Locations

TEST_NAME=$(basename "$0" .t)
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$TEST_DIRECTORY/.." && pwd)
FLUXS_BUILD_DIR=${FLUXS_BUILD_DIR:-$SRCDIR/.build/release}
export SRCDIR FLUXS_BUILD_DIR TEST_DIRECTORY
export PATH="$FLUXS_BUILD_DIR:$PATH"
FLUXS_TEST_TIMEOUT=${FLUXS_TEST_TIMEOUT:-60}

verbose=
debug=
for arg in "$@" ${FLUXS_TEST_OPTS:-}; do
    case $arg in
    -v | --verbose) verbose=t ;;
    -d | --debug) debug=t ;;
    esac
done

# MARK: - Trash directory and the process marker

export FLUXS_TEST_OUTER_TMPDIR=${FLUXS_TEST_OUTER_TMPDIR:-${TMPDIR:-/tmp}}
# A script whose tests act as other users (setpriv) sets FLUXS_TEST_OTHER_UIDS=t before
# sourcing this file. The clone may sit in a directory only its owner can enter (root's
# home, a mktemp -d folder), so such a script gets its trash directory in the outer
# TMPDIR, open to every uid, and its own copy of the programs and of t/lib's scripts
# there (test_other_uids_programs_ below). The name is kept in FLUXS_TEST_TRASH for the
# re-run under an instance (test_under_fluxs).
if [ -n "${FLUXS_TEST_OTHER_UIDS:-}" ]; then
    if [ -z "${FLUXS_TEST_TRASH:-}" ]; then
        FLUXS_TEST_TRASH=$(mktemp -d "$FLUXS_TEST_OUTER_TMPDIR/fluxs-$TEST_NAME.XXXXXX") ||
            { echo "Bail out! cannot make a trash directory in $FLUXS_TEST_OUTER_TMPDIR"; exit 1; }
        export FLUXS_TEST_TRASH
    fi
    TRASH_DIRECTORY=$FLUXS_TEST_TRASH/trash
else
    TRASH_DIRECTORY="$TEST_DIRECTORY/trash-$TEST_NAME"
fi
rm -rf "$TRASH_DIRECTORY"
mkdir -p "$TRASH_DIRECTORY" || { echo "Bail out! cannot make $TRASH_DIRECTORY"; exit 1; }
cd "$TRASH_DIRECTORY" || exit 1
export HOME="$TRASH_DIRECTORY"
export TMPDIR="$TRASH_DIRECTORY"
export FLUXS_TEST_MARKER="fluxs-test-$TEST_NAME-$$"

test_count=0
test_failures=0
test_skips=0
declare -A test_prereqs=()

# Lists the pids (other than this shell) whose environment carries this script's marker.
test_marked_pids() {
    local f pid
    for f in $(grep -lzx -e "FLUXS_TEST_MARKER=$FLUXS_TEST_MARKER" /proc/[0-9]*/environ 2>/dev/null); do
        pid=${f#/proc/}
        pid=${pid%/environ}
        [ "$pid" = "$$" ] || [ "$pid" = "${BASHPID:-}" ] && continue
        # The broker that runs this script as its initial program ends after us.
        [ -n "${FLUXS_TEST_UNDER_INSTANCE:-}" ] && [ "$pid" = "$PPID" ] && continue
        echo "$pid"
    done
}

# Kills every process that still carries the marker.
test_kill_marked_() {
    local pids
    pids=$(test_marked_pids)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    return 0
}

test_exit_trap_() {
    local rc=$?
    # munged clears its environment: it is stopped by its pid file, not by the marker.
    [ "${TEST_MUNGED_OWNER:-}" = "$$" ] && [ -S "$TEST_MUNGED_DIR/munge.sock" ] && test_munged_stop "$TEST_MUNGED_DIR"
    test_kill_marked_
    test_other_uids_cleanup_
    return $rc
}
trap test_exit_trap_ EXIT

# MARK: - Prerequisites

# test_set_prereq NAME: marks a prerequisite as available.
test_set_prereq() { test_prereqs[$1]=t; }

# test_have_prereq A,B: true when every named prerequisite is set.
test_have_prereq() {
    local p
    for p in ${1//,/ }; do
        [ -n "${test_prereqs[$p]:-}" ] || return 1
    done
}

[ "$(id -u)" = 0 ] && test_set_prereq ROOT
command -v setpriv >/dev/null 2>&1 && test_set_prereq SETPRIV
MUNGED=$(PATH=$PATH:/usr/sbin:/sbin command -v munged)
MUNGEKEY=$(PATH=$PATH:/usr/sbin:/sbin command -v mungekey)
[ -n "$MUNGED" ] && [ -n "$MUNGEKEY" ] && test_set_prereq MUNGE

# test_munged_start DIR: starts a private munged (its own key, socket, log and pid
# file in DIR, which other users may enter), waits for its socket, and exports
# FLUXS_MUNGE_SOCKET for the submitters; it is stopped at exit like every process of
# the script (test_munged_stop stops it earlier).
test_munged_start() {
    mkdir -p "$1" && chmod 755 "$1" &&
    "$MUNGEKEY" --create --keyfile="$1/munge.key" &&
    "$MUNGED" --force --socket="$1/munge.sock" --key-file="$1/munge.key" --log-file="$1/munged.log" \
        --pid-file="$1/munged.pid" --seed-file="$1/munged.seed" || return 1
    local i
    for i in $(seq 100); do [ -S "$1/munge.sock" ] && break; sleep 0.1; done
    export TEST_MUNGED_DIR=$1 TEST_MUNGED_OWNER=$$
    [ -S "$1/munge.sock" ] || { echo "munged did not start:"; cat "$1/munged.log"; return 1; }
    export FLUXS_MUNGE_SOCKET="$1/munge.sock"
}

# test_munged_stop DIR: stops the munged of test_munged_start DIR (at once, by its pid
# file, if it does not stop when asked).
test_munged_stop() {
    "$MUNGED" --socket="$1/munge.sock" --stop >/dev/null 2>&1 ||
        { [ -f "$1/munged.pid" ] && kill -KILL "$(cat "$1/munged.pid")" 2>/dev/null; }
    return 0
}

# MARK: - Assertions usable inside test bodies

# test_must_fail CMD...: succeeds when CMD exits non-zero but was not killed by a signal.
test_must_fail() {
    "$@"
    local rc=$?
    if [ $rc -eq 0 ]; then
        echo >&2 "test_must_fail: command succeeded: $*"
        return 1
    elif [ $rc -gt 128 ] && [ $rc -le 192 ]; then
        echo >&2 "test_must_fail: command died of signal $((rc - 128)): $*"
        return 1
    elif [ $rc -eq 127 ]; then
        echo >&2 "test_must_fail: command not found: $*"
        return 1
    fi
    return 0
}

# test_expect_code N CMD...: succeeds when CMD exits with exactly N.
test_expect_code() {
    local want=$1
    shift
    "$@"
    local rc=$?
    [ $rc -eq "$want" ] && return 0
    echo >&2 "test_expect_code: wanted exit $want, got $rc: $*"
    return 1
}

# test_cmp EXPECTED ACTUAL: the files are equal (a diff is shown when not).
test_cmp() { diff -u "$1" "$2"; }

# test_grep PATTERN FILE: FILE has a line matching PATTERN (shows FILE when not).
test_grep() {
    grep -q -e "$1" "$2" && return 0
    echo >&2 "test_grep: no line matches '$1' in $2:"
    sed 's/^/| /' "$2" >&2
    return 1
}

# test_pid_alive PID: the process exists and is not a zombie (a reaped-later orphan
# counts as gone: PID 1 of some containers never reaps).
test_pid_alive() {
    local state
    state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# test_when_finished CMD: runs CMD after the current test, pass or fail. The body runs in
# a subshell, so the command is kept in a file the harness reads when the body is over.
test_when_finished() { printf '%s\n' "$1" >>"$TRASH_DIRECTORY/.test-cleanup"; }

# MARK: - Instances

# test_under_fluxs [SIZE]: re-runs this script as the initial program of a fresh
# instance (`fluxs start`), so that every test talks to it through FLUXS_URI.
# Broker attributes for it can be given in FLUXS_TEST_BROKER_OPTS (e.g. -Sfoo=bar).
test_under_fluxs() {
    local size=${1:-1}
    if [ "$size" != 1 ]; then
        test_skip_all "instances of size $size need the overlay (M3)"
    fi
    if [ -z "${FLUXS_TEST_UNDER_INSTANCE:-}" ]; then
        export FLUXS_TEST_UNDER_INSTANCE=$$
        cd "$TEST_DIRECTORY" || exit 1
        trap - EXIT
        # shellcheck disable=SC2086
        # The broker's rundir goes outside the trash directory, which the re-run empties.
        TMPDIR=$FLUXS_TEST_OUTER_TMPDIR exec fluxs start ${FLUXS_TEST_BROKER_OPTS:-} \
            bash "$TEST_DIRECTORY/$TEST_NAME.t" "$@"
    fi
    test_set_prereq INSTANCE
}

# MARK: - Other users

# For FLUXS_TEST_OTHER_UIDS scripts: the programs (FLUXS_BUILD_DIR) and t/lib's Python
# scripts copied to $FLUXS_TEST_TRASH/bin and /lib, mode 0755 all the way down, first
# on PATH; the helper library location is $TEST_LIB. Removed when the script ends.
TEST_LIB=$TEST_DIRECTORY/lib
if [ -n "${FLUXS_TEST_OTHER_UIDS:-}" ]; then
    chmod 755 "$FLUXS_TEST_TRASH" "$TRASH_DIRECTORY"
    if [ ! -d "$FLUXS_TEST_TRASH/bin" ]; then
        mkdir -p "$FLUXS_TEST_TRASH/bin" "$FLUXS_TEST_TRASH/lib" &&
            for program in fluxs fluxs-broker fluxs-shell fluxs-imp fluxs-sched-sim; do
                cp "$FLUXS_BUILD_DIR/$program" "$FLUXS_TEST_TRASH/bin/" || exit 1
            done &&
            cp "$TEST_DIRECTORY"/lib/*.py "$FLUXS_TEST_TRASH/lib/" &&
            cp -r "$TEST_DIRECTORY/../bindings/python/fluxs" "$FLUXS_TEST_TRASH/lib/" &&
            chmod -R a+rX "$FLUXS_TEST_TRASH/bin" "$FLUXS_TEST_TRASH/lib" ||
            { echo "Bail out! cannot copy the programs into $FLUXS_TEST_TRASH"; exit 1; }
    fi
    FLUXS_BUILD_DIR=$FLUXS_TEST_TRASH/bin
    TEST_LIB=$FLUXS_TEST_TRASH/lib
    export PATH="$FLUXS_BUILD_DIR:$PATH"
    # Other users are guests, who sign their jobs with MUNGE: a private munged for them,
    # beside the copies (a script re-run under an instance keeps it, and stops it).
    if test_have_prereq MUNGE && [ -z "${FLUXS_MUNGE_SOCKET:-}" ]; then
        test_munged_start "$FLUXS_TEST_TRASH/munge" >"$TRASH_DIRECTORY/munged.out" 2>&1 ||
            { echo "Bail out! cannot start a private munged: $(cat "$TRASH_DIRECTORY/munged.out")"; exit 1; }
    elif [ -n "${FLUXS_TEST_UNDER_INSTANCE:-}" ] && [ "${TEST_MUNGED_OWNER:-}" = "$FLUXS_TEST_UNDER_INSTANCE" ]; then
        TEST_MUNGED_OWNER=$$
    fi
fi
export TEST_LIB

# test_other_uids_cleanup_: removes the copies and the trash's parent (called at exit by
# the run that is not about to be re-run under an instance).
test_other_uids_cleanup_() {
    [ -n "${FLUXS_TEST_OTHER_UIDS:-}" ] || return 0
    rm -rf "$FLUXS_TEST_TRASH/bin" "$FLUXS_TEST_TRASH/lib" "$FLUXS_TEST_TRASH/munge"
    rmdir "$FLUXS_TEST_TRASH" 2>/dev/null
    return 0
}

# fluxs_raw ARGS: the raw wire client (t/lib/fluxs-raw.py). In the background use
# $FLUXS_RAW ARGS &, so that $! is the client itself.
# (/usr/bin/python3 when there is one: other uids cannot run a python under /root.)
FLUXS_RAW="$(command -v /usr/bin/python3 || command -v python3) $TEST_LIB/fluxs-raw.py"
fluxs_raw() { $FLUXS_RAW "$@"; }
export FLUXS_RAW
export -f fluxs_raw

# MARK: - Running tests

test_ok_() {
    echo "ok $test_count - $1"
}

test_failure_() {
    test_failures=$((test_failures + 1))
    echo "not ok $test_count - $1"
    sed 's/^/#  /' <<<"$2"
    sed 's/^/# | /' "$TRASH_DIRECTORY/.test-output" 2>/dev/null
}

# Runs one body in its own process group under the timeout; returns its status.
test_run_() {
    local body=$1 pid watchdog rc cmd
    set -m
    (
        # The body's own shell: stdout and stderr to the capture file.
        trap - EXIT
        eval "$body"
    ) >"$TRASH_DIRECTORY/.test-output" 2>&1 </dev/null &
    pid=$!
    (
        trap - EXIT
        sleep "$FLUXS_TEST_TIMEOUT"
        echo "timeout: test body ran over ${FLUXS_TEST_TIMEOUT}s; killing it" >>"$TRASH_DIRECTORY/.test-output"
        kill -TERM -"$pid" 2>/dev/null
        sleep 2
        kill -KILL -"$pid" 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
    watchdog=$!
    set +m
    wait "$pid"
    rc=$?
    kill -KILL -"$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    # Whatever the body left in its process group goes now.
    kill -KILL -"$pid" 2>/dev/null
    if [ -f "$TRASH_DIRECTORY/.test-cleanup" ]; then
        while IFS= read -r cmd; do
            eval "$cmd" >>"$TRASH_DIRECTORY/.test-output" 2>&1 || rc=1
        done <"$TRASH_DIRECTORY/.test-cleanup"
        rm -f "$TRASH_DIRECTORY/.test-cleanup"
    fi
    [ -n "$verbose" ] && sed 's/^/# /' "$TRASH_DIRECTORY/.test-output"
    return $rc
}

# test_expect_success [PREREQS] DESCRIPTION BODY
test_expect_success() {
    local prereq=
    [ $# -eq 3 ] && { prereq=$1; shift; }
    test_count=$((test_count + 1))
    if [ -n "$prereq" ] && ! test_have_prereq "$prereq"; then
        test_skips=$((test_skips + 1))
        echo "ok $test_count # skip $1 (missing $prereq)"
        return
    fi
    if test_run_ "$2"; then
        test_ok_ "$1"
    else
        test_failure_ "$1" "$2"
    fi
}

# test_skip_all REASON: skips the whole script (call before any test).
test_skip_all() {
    echo "1..0 # SKIP $1"
    rm -rf "$TRASH_DIRECTORY"
    exit 0
}

# test_done: prints the plan, removes the trash directory when all passed, exits.
test_done() {
    echo "1..$test_count"
    test_kill_marked_
    if [ "$test_failures" -eq 0 ]; then
        [ -n "$debug" ] || { cd "$TEST_DIRECTORY" && rm -rf "$TRASH_DIRECTORY"; }
        exit 0
    fi
    [ -z "${FLUXS_TEST_OTHER_UIDS:-}" ] || echo "# the trash directory is $TRASH_DIRECTORY"
    echo "# failed $test_failures among $test_count test(s)"
    exit 1
}
