#!/usr/bin/env bash
test_description='fluxs start: an instance runs its initial program and cleans up after it'
. "$(dirname "$0")/lib/test-lib.sh"

# No rundir may be left in TMPDIR, and no broker may be left running.
no_leftovers() {
    ls -d "$TMPDIR"/fluxs-* 2>/dev/null && { echo "rundir left behind"; return 1; }
    for pid in $(test_marked_pids); do
        grep -q fluxs-broker /proc/$pid/cmdline 2>/dev/null && test_pid_alive $pid &&
            { echo "broker $pid left running"; return 1; }
    done
    return 0
}

test_expect_success 'the initial program runs with FLUXS_URI and the instance goes away' '
    fluxs start sh -c "echo \$FLUXS_URI" >uri &&
    test_grep "^local://$TMPDIR/fluxs-.*/local$" uri &&
    no_leftovers
'
test_expect_success 'the exit code of the initial program is the exit code of start' '
    test_expect_code 3 fluxs start sh -c "exit 3" &&
    test_expect_code 0 fluxs start true &&
    no_leftovers
'
test_expect_success 'a signal that kills the initial program shows as 128+N' '
    test_expect_code 137 fluxs start sh -c "kill -9 \$\$" &&
    no_leftovers
'
test_expect_success 'a command that cannot run gives a clear error and 127' '
    test_expect_code 127 fluxs start no-such-command-xyz 2>err &&
    test_grep "no-such-command-xyz: No such file or directory" err &&
    no_leftovers
'
test_expect_success 'with no command, the shell reads commands from stdin' '
    echo "fluxs getattr rank" | fluxs start >out &&
    test "$(cat out)" = 0
'
test_expect_success '-S sets attributes; a given rundir is used and kept' '
    mkdir rd &&
    fluxs start -Srundir=$PWD/rd --setattr=statedir=$PWD/state -Smy.attr=42 \
        sh -c "fluxs getattr rundir; fluxs getattr statedir; fluxs getattr my.attr; test -S $PWD/rd/local" >out &&
    printf "%s\n" "$PWD/rd" "$PWD/state" 42 >expected &&
    test_cmp expected out &&
    test -d rd && test ! -e rd/local &&
    test -f state/kvs.sqlite
'
test_expect_success '-s N is --test-size=N' '
    fluxs start -s 2 fluxs getattr size >out &&
    fluxs start -s2 fluxs getattr size >>out &&
    printf "2\n2\n" >expected &&
    test_cmp expected out &&
    no_leftovers
'
test_expect_success '-c DIR gives every broker the configuration, with --test-size too' '
    mkdir -p conf.d &&
    printf "[exec]\nkill-timeout = \"3s\"\n" >conf.d/a.toml &&
    fluxs start -c $PWD/conf.d fluxs getattr job-exec.kill-timeout >out &&
    fluxs start -s2 --config-path=$PWD/conf.d fluxs exec -r 1 fluxs getattr job-exec.kill-timeout >>out &&
    printf "3s\n3s\n" >expected &&
    test_cmp expected out &&
    no_leftovers
'
test_expect_success '-o passes comma-separated options to every broker' '
    fluxs start -o,--config-path=$PWD/conf.d,-Smy.x=5 sh -c "fluxs getattr job-exec.kill-timeout; fluxs getattr my.x" >out &&
    fluxs start --test-size=2 -o,-c$PWD/conf.d --broker-opts=-Smy.y=1 \
        fluxs exec -r 1 sh -c "fluxs getattr job-exec.kill-timeout; fluxs getattr my.y" >>out &&
    printf "3s\n5\n3s\n1\n" >expected &&
    test_cmp expected out &&
    test_expect_code 2 fluxs start -o,--bogus true 2>err &&
    test_grep "fluxs-broker: error: unknown option --bogus" err &&
    no_leftovers
'
test_expect_success 'a read-only attribute cannot be set at start' '
    test_expect_code 2 fluxs start -Srank=3 true 2>err &&
    test_grep "attribute rank is read-only" err
'
test_expect_success 'SIGTERM to start is forwarded to the initial program; nothing is left' '
    fluxs start sleep 300 &
    pid=$! &&
    while ! ls -d "$TMPDIR"/fluxs-*/local >/dev/null 2>&1; do sleep 0.05; done &&
    kill -TERM $pid &&
    test_expect_code 143 wait $pid &&
    no_leftovers
'
test_expect_success 'fluxs shutdown ends the initial program, and start exits 0' '
    fluxs start sh -c "fluxs shutdown --no-wait; sleep 300" &&
    no_leftovers
'
test_expect_success 'an instance without an initial program serves until fluxs shutdown' '
    mkdir rd2 &&
    fluxs start -Srundir=$PWD/rd2 -Sbroker.rc2_none=1 &
    pid=$! &&
    while ! test -S rd2/local; do sleep 0.05; done &&
    FLUXS_URI=local://$PWD/rd2/local fluxs getattr size &&
    FLUXS_URI=local://$PWD/rd2/local fluxs shutdown &&
    test_expect_code 0 wait $pid &&
    test ! -e rd2/local
'
test_expect_success 'a broker that will not exit in time makes shutdown fail clearly' '
    test_expect_code 1 env FLUXS_URI=local://$PWD/nosuch/local fluxs shutdown 2>err &&
    test_grep "^fluxs-shutdown: error: cannot connect to local://$PWD/nosuch/local" err
'
test_expect_success 'commands outside an instance say that FLUXS_URI is missing' '
    test_expect_code 1 env -u FLUXS_URI fluxs getattr rank 2>err &&
    test_grep "^fluxs-getattr: error: FLUXS_URI is not set" err
'
test_expect_success 'a test instance larger than the open-file hard limit allows is refused before any broker starts' '
    ( ulimit -n 150 && ulimit -Hn 150 && fluxs start --test-size=100 true ) 2>err
    test $? -ne 0 &&
    test_grep "test-size=100 needs about 264 open files, and the limit is 150 (raise the hard limit: ulimit -Hn)" err &&
    ! grep -i broker err
'

pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 0)
size_over_pid_max=$(( pid_max / 6 + 1 ))
test "$pid_max" -gt 0 && test "$size_over_pid_max" -le 4096 && test $(( 2 * size_over_pid_max + 64 )) -le $(ulimit -Hn) &&
    test_set_prereq SMALL_PID_MAX
test_expect_success SMALL_PID_MAX 'a test instance larger than kernel.pid_max allows is refused before any broker starts' '
    test_must_fail fluxs start --test-size=$size_over_pid_max true 2>err &&
    test_grep "needs about [0-9]* processes and threads, and the system allows $pid_max (sysctl kernel.pid_max, kernel.threads-max)" err &&
    ! grep -i broker err
'

test_done
