#!/usr/bin/env bash
test_description='hostile payloads to every topic of every service, as the owner and as a guest, for a bounded time: every broker still answers and runs jobs'
# The guest tests act as uid 65534: a trash directory and programs other uids can reach.
FLUXS_TEST_OTHER_UIDS=t
# Each hostile run lasts FLUXS_TEST_HOSTILE_SECONDS (default 10), then up to ~10 s more
# (its last answers, a cleanup), then checks: a body gets that and a minute.
FLUXS_TEST_TIMEOUT=${FLUXS_TEST_TIMEOUT:-$((${FLUXS_TEST_HOSTILE_SECONDS:-10} + 60))}
. "$(dirname "$0")/lib/test-lib.sh"

# t/lib/fluxs-hostile.py sends, round-robin over every topic it knows (fluxs-hostile.py
# --list), the plain payload, then each field the service reads set to each hostile value,
# then whole hostile payloads and other flags, pinging every rank after each batch; it
# exits 1 naming the last request sent when a broker stops answering or a connection
# drops. FLUXS_TEST_HOSTILE_SECONDS (default 10) bounds each of the two runs (owner, guest),
# FLUXS_TEST_HOSTILE_OPTS adds options (e.g. --only 'job-manager' or --log FILE).
HOSTILE_SECONDS=${FLUXS_TEST_HOSTILE_SECONDS:-10}
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
G1="setpriv --reuid=65534 --regid=65534 --clear-groups"
# An instance that hangs is stopped after this long, so that what it left is shown.
INSTANCE_LIMIT=$((HOSTILE_SECONDS + 45))
export HOSTILE_SECONDS PYTHON G1 INSTANCE_LIMIT

# The Python scripts, copied where a guest can read them (the clone may be private).
HOSTILE_LIB=$TRASH_DIRECTORY/hostile-lib
mkdir -p "$HOSTILE_LIB" "$TRASH_DIRECTORY/out" &&
    cp "$TEST_DIRECTORY/lib/fluxs-raw.py" "$TEST_DIRECTORY/lib/fluxs-hostile.py" "$HOSTILE_LIB/" &&
    chmod 755 "$TRASH_DIRECTORY" "$HOSTILE_LIB" && chmod 644 "$HOSTILE_LIB"/*.py &&
    chmod 1777 "$TRASH_DIRECTORY/out" || { echo "Bail out! cannot copy t/lib's scripts to $HOSTILE_LIB"; exit 1; }
HOSTILE="$PYTHON $HOSTILE_LIB/fluxs-hostile.py --seconds $HOSTILE_SECONDS ${FLUXS_TEST_HOSTILE_OPTS:-}"
RAW="$PYTHON $HOSTILE_LIB/fluxs-raw.py"
export HOSTILE RAW

# A broker that traps prints where (file:line) on its stderr when the Swift runtime's
# backtracer is there; fluxs start's stderr is kept in each test's *.err.
backtracer=$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /nonexistent)")")/../libexec/swift/linux/swift-backtrace
[ -x "$backtracer" ] &&
    export SWIFT_BACKTRACE="enable=yes,interactive=no,threads=crashed,registers=none,images=none,swift-backtrace=$backtracer"

# Guests need root (to be the instance's owner and become uid 65534), setpriv, and every
# directory on the way to the scripts, the programs and the instance's sockets.
if test_have_prereq ROOT,SETPRIV; then
    if $G1 sh -c "test -r '$HOSTILE_LIB/fluxs-hostile.py' && test -w '$TRASH_DIRECTORY/out' &&
                  test -x '$(command -v fluxs)' && test -x '$(command -v fluxs-broker)' && test -x '$PYTHON' &&
                  $PYTHON -c 'pass'" 2>/dev/null; then
        test_set_prereq GUESTS_REACH
    else
        echo "# skipping the guest tests: uid 65534 cannot reach $HOSTILE_LIB, the programs or $PYTHON" \
            "(a parent directory that other users cannot enter?)"
    fi
fi

# show_hostile NAME: what the run NAME left: the tool's summary or its FAIL lines, the
# brokers' last stderr lines (a backtrace, for a trap), the kernel's lines about brokers
# that trapped since this script started.
DMESG_START=$(dmesg 2>/dev/null | wc -l)
export DMESG_START
show_hostile() {
    if [ -s "$1.hostile" ]; then
        echo "--- $1: fluxs-hostile.py"
        cut -c1-600 "$1.hostile" | tail -n 80
    fi
    for f in "$1".err "$1".rank1.err; do
        [ -s "$f" ] || continue
        if grep -aq "^\*\*\* \|Fatal error" "$f"; then
            echo "--- $1: a broker crashed ($f):"
            grep -a -A30 -m1 "^\*\*\* \|Fatal error" "$f" | grep -av "^\s*$\|^\.\.\.$" | cut -c1-300
        fi
        echo "--- $1: the last lines of $f"
        grep -av "^\s*$\|hostile\.emerg\|failed to suspend thread" "$f" | cut -c1-300 | tail -n 15
    done
    dmesg 2>/dev/null | tail -n +$((DMESG_START + 1)) | grep -a "fluxs-broker\[" | tail -n 5
    return 0
}
export -f show_hostile

# The instance's R, configured so that the resource module verifies the inventories a
# hostile resource.hello brings (one core per rank: any machine has it).
host=$(hostname)
R="{\"version\": 1, \"execution\": {\"R_lite\": [{\"rank\": \"0-1\", \"children\": {\"core\": \"0\"}}], \"nodelist\": [\"$host,$host\"], \"starttime\": 0, \"expiration\": 0}}"
export R

# The checks after a run (as the owner): every rank answers a ping, nothing was left
# drained, a real job runs, and one on both ranks.
cat >checks.sh <<'EOF'
for r in 0 1; do timeout 10 fluxs ping -c1 $r >/dev/null && echo "ping $r ok"; done
timeout 10 fluxs resource status --json 2>/dev/null |
    $PYTHON -c 'import json, sys; d = json.load(sys.stdin)["drained"]; d and print("drained:", d)' 2>/dev/null
timeout 20 fluxs run -n1 true && echo "job ok"
timeout 20 fluxs run -N2 -n2 true && echo "job on two ranks ok"
EOF

cat >owner.sh <<'EOF'
$HOSTILE --log out/owner.log >owner.hostile 2>&1; echo "hostile=$?"
. ./checks.sh
EOF
test_expect_success "as the owner: ${HOSTILE_SECONDS}s of hostile payloads to every topic; every broker answers, jobs run" '
    timeout -k 5 $INSTANCE_LIMIT fluxs start --test-size=2 -Squeues=batch,debug -Sresource.R="$R" \
        bash owner.sh >owner.out 2>owner.err
    rc=$?
    cat owner.out; show_hostile owner
    test $rc = 0 &&
    test_grep "^hostile=0$" owner.out &&
    test_grep "^fluxs-hostile: owner .*every broker (ranks 0-1) still answers" owner.hostile &&
    test_grep "^ping 0 ok$" owner.out && test_grep "^ping 1 ok$" owner.out &&
    test_grep "^job ok$" owner.out && test_grep "^job on two ranks ok$" owner.out &&
    ! grep "^drained:" owner.out
'

# job-manager.list and job-manager.cancel-all read "userid" as a uid (-1: every user):
# what does not fit a uid is an error (or a sane answer), never a trap.
cat >userid.sh <<'EOF'
as=${1:-}
for topic in job-manager.list job-manager.cancel-all; do
    for uid in 4294967296 9223372036854775807 -2 18446744073709551616 -9223372036854775808; do
        $as $RAW rpc $topic "{\"userid\":$uid,\"dry_run\":true}" >/dev/null 2>rpc.err
        echo "$topic userid=$uid rc=$? $(head -c 160 rpc.err)"
        timeout 10 fluxs ping -c1 0 >/dev/null && echo "alive after $topic $uid"
    done
done
EOF
check_userid() {
    cat "$1" &&
    test "$(grep -c "^alive after " "$1")" = 10 &&
    test "$(grep -c " rc=[01] " "$1")" = 10 &&
    ! grep "connection closed" "$1"
}
export -f check_userid
test_expect_success 'as the owner: job-manager.list and cancel-all with a userid that is no uid are answered, the broker lives' '
    timeout -k 5 $INSTANCE_LIMIT fluxs start --test-size=2 bash userid.sh >userid.out 2>userid.err
    rc=$?
    show_hostile userid
    test $rc = 0 && check_userid userid.out
'

# A two-broker instance that lets guests in: bootstrapped from a conf.d (two hosts on
# this machine, told apart by FLUXS_FAKE_HOSTNAME), the overlay over an ipc socket in the
# trash directory. guests2 NAME SCRIPT: rank 0 runs SCRIPT; stderr in NAME.err and
# NAME.rank1.err; the status is rank 0's.
mkdir -p conf.d &&
    printf "[access]\nallow-guest-user = true\n" >conf.d/access.toml &&
    cat >conf.d/bootstrap.toml <<EOF
[bootstrap]
hosts = [
    { host = "hostile0", bind = "ipc://$TRASH_DIRECTORY/tbon-0", connect = "ipc://$TRASH_DIRECTORY/tbon-0" },
    { host = "hostile1" },
]
EOF
guests2() {
    local name=$1 script=$2 rank1 rc
    FLUXS_FAKE_HOSTNAME=hostile1 timeout -k 5 $INSTANCE_LIMIT fluxs-broker --config-path="$TRASH_DIRECTORY/conf.d" \
        </dev/null >"$name.rank1.out" 2>"$name.rank1.err" &
    rank1=$!
    FLUXS_FAKE_HOSTNAME=hostile0 timeout -k 5 $INSTANCE_LIMIT fluxs-broker --config-path="$TRASH_DIRECTORY/conf.d" \
        -Squeues=batch,debug -- bash "$script" 2>"$name.err"
    rc=$?
    wait $rank1 || echo "rank 1 exited with status $?"
    return $rc
}
export -f guests2

cat >guest.sh <<'EOF'
$G1 $HOSTILE --log out/guest.log >guest.hostile 2>&1; echo "hostile=$?"
for r in 0 1; do timeout 10 $G1 fluxs ping -c1 $r >/dev/null && echo "guest ping $r ok"; done
id=$(timeout 10 $G1 fluxs submit --setattr=system.exec.test.run_duration=0.1s -n1 true) &&
    timeout 20 $G1 fluxs job wait $id && echo "guest job ok"
. ./checks.sh
EOF
test_expect_success ROOT,SETPRIV,GUESTS_REACH "as a guest: ${HOSTILE_SECONDS}s of hostile payloads to every topic; every broker answers, jobs run" '
    guests2 guest guest.sh >guest.out
    rc=$?
    cat guest.out; show_hostile guest
    test $rc = 0 &&
    test_grep "^hostile=0$" guest.out &&
    test_grep "^fluxs-hostile: guest uid 65534: .*every broker (ranks 0-1) still answers" guest.hostile &&
    test_grep "^guest ping 0 ok$" guest.out && test_grep "^guest ping 1 ok$" guest.out &&
    test_grep "^guest job ok$" guest.out &&
    test_grep "^ping 0 ok$" guest.out && test_grep "^ping 1 ok$" guest.out &&
    test_grep "^job ok$" guest.out && test_grep "^job on two ranks ok$" guest.out &&
    ! grep "^drained:" guest.out && ! grep "rank 1 exited with status" guest.out
'

cat >guest-userid.sh <<'EOF'
bash userid.sh "$G1"
EOF
test_expect_success ROOT,SETPRIV,GUESTS_REACH 'as a guest: job-manager.list and cancel-all with a userid that is no uid are answered, the broker lives' '
    guests2 guest-userid guest-userid.sh >guest-userid.out
    rc=$?
    show_hostile guest-userid
    test $rc = 0 && check_userid guest-userid.out
'

test_done
