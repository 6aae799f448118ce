#!/usr/bin/env bash
test_description='a tree that heals (tbon.heal): the subtree of a lost broker moves to its grandparent and keeps serving'
. "$(dirname "$0")/lib/test-lib.sh"

# rank_attr RANK NAME: the attribute NAME of the broker at RANK (routed there).
rank_attr() {
    fluxs_raw rpc --rank "$1" attr.get "{\"name\":\"$2\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"value\"])"
}
export -f rank_attr

# The scenario of the issue: kary:2 over 16 ranks, jobs on every rank under rank 1
# (3, 4, 7-10, 15) and one on rank 1 itself; rank 1 is SIGKILLed while they run.
cat >heal.sh <<'EOF'
set -u
for r in 1 3 4 7 8 9 10 15; do
    fluxs submit --requires=rank:$r -n1 sh -c "sleep 6; echo done-on-$r; exit $((r % 5 + 1))" >id.$r || exit 1
done
for r in 1 3 4 7 8 9 10 15; do fluxs job wait-event -t 30 $(cat id.$r) start >/dev/null || exit 1; done
echo parent-of-3-before=$(rank_attr 3 tbon.parent-rank)
start=$(date +%s%N)
kill -9 $(rank_attr 1 broker.pid)
# Every rank below 1 answers again (each loop bounded at 30 s).
for r in 3 4 7 8 9 10 15; do
    for i in $(seq 1 600); do fluxs ping -c1 $r >/dev/null 2>&1 && break; sleep 0.05; done
done
echo healed-ms=$(( ($(date +%s%N) - start) / 1000000 ))
for r in 3 4 7 8 9 10 15; do fluxs ping -c1 $r >/dev/null && echo ping-$r-ok; done
echo parent-of-3-after=$(rank_attr 3 tbon.parent-rank)
echo parent-of-7-after=$(rank_attr 7 tbon.parent-rank)
fluxs overlay status
for r in 1 3 4 7 8 9 10 15; do
    fluxs job status $(cat id.$r); echo "job-on-$r status=$?"
    fluxs job attach $(cat id.$r) 2>&1
done
fluxs dmesg | grep overlay:
EOF

test_expect_success 'jobs below a killed interior broker finish with their results; its subtree answers again' '
    fluxs start --test-size=16 -Stbon.topo=kary:2 -Stbon.timeout=1s -Stbon.keepalive-period=0.2s \
        bash heal.sh >out 2>&1 &&
    cat out &&
    test_grep "^parent-of-3-before=1$" out &&
    test_grep "^parent-of-3-after=0$" out &&
    test_grep "^parent-of-7-after=3$" out &&
    for r in 3 4 7 8 9 10 15; do
        test_grep "^ping-$r-ok$" out &&
        test_grep "^job-on-$r status=$((r % 5 + 1))$" out &&
        test_grep "^done-on-$r$" out || return 1
    done &&
    ! test_grep "^job-on-1 status=0$" out &&
    ! grep "^done-on-1$" out &&
    test_grep "adopted rank 3" out &&
    test_grep "moved to rank 0" out
'

# The bound this test states for the subtree to answer again after the kill: the time
# to notice the silence (tbon.timeout, 1 s here) plus a reconnection; the figure
# measured on a 2-core machine is quoted in the closing note of the issue.
test_expect_success 'the subtree answers pings within 4 s of the kill (tbon.timeout=1s)' '
    ms=$(sed -n "s/^healed-ms=//p" out) &&
    echo "healed in $ms ms" &&
    test "$ms" -lt 4000
'

test_expect_success 'overlay status shows the new shape: 3 and 4 under rank 0, rank 1 lost alone' '
    test_grep "^├─ 1: lost" out &&
    test_grep "^├─ 3 .*: full$" out &&
    test_grep "^│  ├─ 7 .*: full$" out &&
    test_grep "^└─ 4 .*: full$" out
'

test_expect_success 'with tbon.heal=off the subtree of a lost broker goes down with it' '
    test_expect_code 0 fluxs start --test-size=8 -Stbon.topo=kary:2 -Stbon.timeout=1s -Stbon.heal=off bash -c "
        fluxs getattr tbon.heal
        kill -9 \$(rank_attr 1 broker.pid)
        sleep 3
        fluxs ping -c1 3; echo rc=\$?
        fluxs overlay status
    " >off.out 2>&1 &&
    cat off.out &&
    test_grep "^off$" off.out &&
    test_grep "^rc=1$" off.out &&
    test_grep "rank 3 is unreachable: rank 1 is lost" off.out
'

# A job that ends in the window between its broker's parent dying and the broker
# noticing it (tbon.timeout=3s here): its shell's report went to the dead parent; the
# broker sends it again once it has moved, and the job ends with its result. What
# its shell wrote to the KVS in that window (its output's end) went to the dead parent
# as requests and is lost: the job says so in an exception rather than risk writing
# it twice.
# under1.sh SIGNAL SECONDS CODE: jobs on ranks 3 and 7 (below rank 1) that sleep
# SECONDS and exit with CODE; once they run, rank 1's broker gets SIGNAL; then how each
# job ended, what it printed, and rank 3's parent. Rank 1 is SIGKILLed at the end.
cat >under1.sh <<'EOF'
set -u
signal=$1 seconds=$2 code=$3
for r in 3 7; do
    fluxs submit --requires=rank:$r -n1 sh -c "sleep $seconds; exit $code" >id.$r || exit 1
done
for r in 3 7; do fluxs job wait-event -t 30 $(cat id.$r) start >/dev/null || exit 1; done
pid1=$(rank_attr 1 broker.pid)
kill -$signal $pid1
for r in 3 7; do
    timeout 60 fluxs job status $(cat id.$r); echo "job-on-$r status=$?"
    fluxs job attach $(cat id.$r) 2>&1
done
echo parent-of-3=$(rank_attr 3 tbon.parent-rank)
kill -KILL $pid1 2>/dev/null
true
EOF
test_expect_success 'a job that ends while its broker is still noticing the loss of its parent reports its end' '
    fluxs start --test-size=8 -Stbon.topo=kary:2 -Stbon.timeout=3s -Stbon.keepalive-period=0.5s \
        bash under1.sh KILL 1 3 >window.out 2>&1 &&
    cat window.out &&
    test_grep "^job-on-3 status=3$" window.out &&
    test_grep "^job-on-7 status=3$" window.out &&
    test_grep "rank 3: fluxs-shell: error: cannot store output: rank 1 was lost" window.out
'

# A parent that stops (SIGSTOP) rather than dies: no connection closes, so its child
# and its parent both notice the silence on their own clocks, in either order. The
# jobs below it still end with their results.
test_expect_success 'jobs below a stopped (silent, not dead) broker end with their results' '
    fluxs start --test-size=8 -Stbon.topo=kary:2 -Stbon.timeout=1s -Stbon.keepalive-period=0.2s \
        bash under1.sh STOP 4 4 >stopped.out 2>&1
    cat stopped.out &&
    test_grep "^job-on-3 status=4$" stopped.out &&
    test_grep "^job-on-7 status=4$" stopped.out &&
    test_grep "^parent-of-3=0$" stopped.out
'

# A system-instance shape: seven brokers bootstrapped from a conf.d (hosts h0-h6 on
# this machine, told apart by FLUXS_FAKE_HOSTNAME; kary:2; interior ranks on ipc
# sockets), so that a killed broker can be started again and rejoin.
mkdir -p conf.d &&
    cat >conf.d/bootstrap.toml <<EOF
[bootstrap]
hosts = [
    { host = "h0", bind = "ipc://$TRASH_DIRECTORY/tbon-0", connect = "ipc://$TRASH_DIRECTORY/tbon-0" },
    { host = "h1", bind = "ipc://$TRASH_DIRECTORY/tbon-1", connect = "ipc://$TRASH_DIRECTORY/tbon-1" },
    { host = "h2", bind = "ipc://$TRASH_DIRECTORY/tbon-2", connect = "ipc://$TRASH_DIRECTORY/tbon-2" },
    { host = "h3" }, { host = "h4" }, { host = "h5" }, { host = "h6" },
]
EOF
printf '[tbon]\ntopo = "kary:2"\ntimeout = "1s"\nkeepalive-period = "0.2s"\n' >conf.d/tbon.toml

INSTANCE_LIMIT=60
export INSTANCE_LIMIT TRASH_DIRECTORY
# broker N: starts the broker of host hN in the background (bounded by the instance
# limit), its output in broker-N.log, its pid in pid.N.
broker() {
    FLUXS_FAKE_HOSTNAME=h$1 timeout -k 5 $INSTANCE_LIMIT fluxs-broker --config-path="$TRASH_DIRECTORY/conf.d" \
        -Srundir="$TRASH_DIRECTORY/run-$1" </dev/null >>broker-$1.log 2>&1 &
    echo $! >pid.$1
}
export -f broker

cat >rejoin.sh <<'EOF'
set -u
kill -9 $(rank_attr 1 broker.pid)
for i in $(seq 1 600); do fluxs ping -c1 3 >/dev/null 2>&1 && fluxs ping -c1 4 >/dev/null 2>&1 && break; sleep 0.05; done
echo parent-of-3=$(rank_attr 3 tbon.parent-rank)
broker 1
for i in $(seq 1 600); do fluxs ping -c1 1 >/dev/null 2>&1 && break; sleep 0.05; done
fluxs ping -c1 1 >/dev/null && echo ping-1-ok
echo parent-of-1=$(rank_attr 1 tbon.parent-rank)
echo parent-of-3-after-rejoin=$(rank_attr 3 tbon.parent-rank)
for r in 3 4 5 6; do fluxs ping -c1 $r >/dev/null && echo ping-$r-ok; done
fluxs overlay status
fluxs exec -r all true && echo exec-all-ok
EOF

test_expect_success 'a lost broker started again rejoins in its place; the children that moved stay where they went' '
    rm -rf run-* && mkdir run-0 run-1 run-2 run-3 run-4 run-5 run-6 &&
    for n in 1 2 3 4 5 6; do broker $n; done &&
    FLUXS_FAKE_HOSTNAME=h0 timeout -k 5 $INSTANCE_LIMIT fluxs-broker --config-path="$TRASH_DIRECTORY/conf.d" \
        -Srundir="$TRASH_DIRECTORY/run-0" -- bash rejoin.sh >rejoin.out 2>broker-0.log
    rc=$?
    cat rejoin.out broker-*.log
    for n in 1 2 3 4 5 6; do wait $(cat pid.$n) 2>/dev/null; done
    test $rc = 0 &&
    test_grep "^parent-of-3=0$" rejoin.out &&
    test_grep "^ping-1-ok$" rejoin.out &&
    test_grep "^parent-of-1=0$" rejoin.out &&
    test_grep "^parent-of-3-after-rejoin=0$" rejoin.out &&
    for r in 3 4 5 6; do test_grep "^ping-$r-ok$" rejoin.out || return 1; done &&
    test_grep "^0 .*: full$" rejoin.out &&
    test_grep "^├─ 1 .*: full$" rejoin.out &&
    ! grep "offline" rejoin.out &&
    test_grep "^├─ 3 .*: full$" rejoin.out &&
    test_grep "^exec-all-ok$" rejoin.out
'

test_expect_success 'tbon.heal takes on or off' '
    test_must_fail fluxs start -Stbon.heal=maybe true 2>err &&
    test_grep "tbon.heal must be on or off" err
'

test_done
