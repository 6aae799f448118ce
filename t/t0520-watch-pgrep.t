#!/usr/bin/env bash
test_description='fluxs watch, pgrep and pkill: following several jobs, finding and canceling jobs by name or id range'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/jobs-lib.sh"

# Each test writes its script first, runs it as the initial program of a fresh instance
# of two brokers (run2), and compares what a user would see. Jobs that must stay running
# either run in the exec test mode for 600 s or wait for a file the script creates; the
# scripts wait for events (fluxs job wait-event, wait_for_line), never for time.
LONG=--setattr=system.exec.test.run_duration=600s
export LONG

# in_pty COLS ROWS CMD...: runs CMD with its stdout and stderr on a pseudo-terminal of
# that size and prints what it wrote there (raw, escapes included).
in_pty() {
    python3 - "$@" <<'EOF'
import fcntl, os, struct, subprocess, sys, termios
cols, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(proc.wait())
EOF
}
export -f in_pty

# MARK: - watch: output and exit codes

cat >output.sh <<'EOF'
done=$(fluxs submit --job-name=done sh -c 'echo out-a; echo err-a >&2')
fluxs job wait "$done"
live=$(fluxs submit --job-name=live sh -c 'echo first; while [ ! -e go ]; do sleep 0.05; done; echo second')
fluxs watch "$live" >live.out 2>live.err &
pid=$!
wait_for_line first live.out
# The watch printed the first line while the job runs; now let the job end.
touch go
wait $pid; echo "live rc=$?"
cat live.out live.err
fluxs watch "$done" >done.out 2>done.err; echo "done rc=$?"
cat done.out; echo ---; cat done.err
fluxs watch "$done" "$live" | sort
EOF
test_expect_success 'watch prints a running job'"'"'s output as it comes and an inactive job'"'"'s at once, stdout and stderr apart' '
    run2 output.sh >out 2>err &&
    cat >expected <<-\EOF &&
	live rc=0
	first
	second
	done rc=0
	out-a
	---
	err-a
	first
	out-a
	second
	EOF
    test_cmp expected out
'

cat >codes.sh <<'EOF'
ok=$(fluxs submit true)
three=$(fluxs submit sh -c 'exit 3')
five=$(fluxs submit sh -c 'exit 5')
fluxs watch "$ok" "$three" "$five"; echo "3 and 5: rc=$?"
fluxs watch "$ok"; echo "ok: rc=$?"
killed=$(fluxs submit sh -c 'kill -9 $$')
fluxs watch "$ok" "$killed"; echo "killed: rc=$?"
held=$(fluxs submit --urgency=hold true)
fluxs cancel -m "not today" "$held"
fluxs watch "$held" 2>held.err; echo "canceled before it ran: rc=$?"
cat held.err
fluxs watch "$ok" f1111111111 2>unknown.err; echo "unknown: rc=$?"
grep -c "^fluxs-watch: error: " unknown.err
EOF
test_expect_success 'watch exits with the largest exit code: 128 + N for signal N, 1 for a job ended before it ran' '
    run2 codes.sh >out 2>err &&
    cat >expected <<-\EOF &&
	3 and 5: rc=5
	ok: rc=0
	killed: rc=137
	canceled before it ran: rc=1
	job.exception: type=cancel severity=0 not today
	unknown: rc=1
	1
	EOF
    test_cmp expected out
'

# MARK: - watch: choosing jobs

cat >select.sh <<'EOF'
fluxs watch --active; echo "empty: rc=$?"
one=$(fluxs submit --job-name=one echo one)
fluxs job wait "$one"
bad=$(fluxs submit --job-name=bad sh -c 'echo bad; exit 4')
fluxs job wait-event -q "$bad" clean
r1=$(fluxs submit sh -c 'echo run1; while [ ! -e go1 ]; do sleep 0.05; done')
r2=$(fluxs submit sh -c 'echo run2; while [ ! -e go2 ]; do sleep 0.05; done')
fluxs job wait-event -q "$r1" start && fluxs job wait-event -q "$r2" start
fluxs watch --active >active.out 2>&1 &
pid=$!
wait_for_line run1 active.out && wait_for_line run2 active.out
# r1 ends first, then r2: the newest inactive job is r2.
touch go1
fluxs job wait-event -q "$r1" clean
touch go2
wait $pid; echo "active: rc=$?"
sort active.out
echo "--all:"; fluxs watch --all | sort
echo "-f failed:"; fluxs watch -f failed; echo "rc=$?"
echo "-f completed -c 1:"; fluxs watch -f completed -c 1
echo "--since -c 2:"; fluxs watch --since=-1h -c 2 | sort
echo "id and --all:"; fluxs watch --all "$one"
EOF
test_expect_success 'watch --active, --all, --filter, --since and --count choose the caller'"'"'s jobs; ids win over them' '
    run2 select.sh >out 2>err &&
    cat >expected <<-\EOF &&
	empty: rc=0
	active: rc=0
	run1
	run2
	--all:
	bad
	one
	run1
	run2
	-f failed:
	bad
	rc=4
	-f completed -c 1:
	run2
	--since -c 2:
	run1
	run2
	id and --all:
	one
	EOF
    test_cmp expected out &&
    cat >expected.err <<-\EOF &&
	fluxs-watch: No matching jobs
	fluxs-watch: warning: Filtering options ignored with jobid list
	EOF
    test_cmp expected.err err
'

test_expect_success 'watch without a job or a selection, or with --since in the future, is a usage error (exit 2)' '
    test_expect_code 2 fluxs watch 2>err &&
    test_grep "^fluxs-watch: error: At least one job selection option is required" err &&
    test_expect_code 2 fluxs watch --count=-1 --all 2>err &&
    test_grep "^fluxs-watch: error: " err &&
    test_expect_code 2 fluxs watch --since=+1h 2>err &&
    test_grep "^fluxs-watch: error: --since=+1h appears to be in the future" err
'

cat >label.sh <<'EOF'
id=$(fluxs submit -n2 sh -c 'echo "hi $FLUXS_TASK_RANK"; echo "oops $FLUXS_TASK_RANK" >&2')
echo "$id" >id
fluxs watch --label-io "$id" 2>&1 | sort
fluxs watch -v "$id" 2>&1 >/dev/null | grep -v oops | sed "s/: [0-9][0-9]*\.[0-9][0-9][0-9]s: /: Ts: /"
fluxs watch -vv "$id" 2>&1 >/dev/null | sed -n "s/^[^ ]*: [0-9][0-9]*\.[0-9][0-9][0-9]s: \([a-z]*\).*/\1/p" | tr "\n" " "; echo
EOF
test_expect_success 'watch -l labels lines with the job id and task rank; -v says how jobs ended, -vv prints their events' '
    run2 label.sh >out 2>err &&
    id=$(cat id) &&
    cat >expected <<-EOF &&
	$id: 0: hi 0
	$id: 0: oops 0
	$id: 1: hi 1
	$id: 1: oops 1
	fluxs-watch: Watching 1 jobs
	$id: Ts: complete: status=0
	submit validate depend priority alloc start finish complete release free clean 
	EOF
    test_cmp expected out
'

cat >progress.sh <<'EOF'
ok=$(fluxs submit echo hello)
bad=$(fluxs submit sh -c 'exit 2')
fluxs job wait-event -q "$ok" clean && fluxs job wait-event -q "$bad" clean
fluxs watch --progress "$ok" >plain.out 2>plain.err; echo "not a tty: rc=$?"
cat plain.out plain.err
in_pty 80 24 fluxs watch --progress "$ok" "$bad" >tty.out; echo "tty: rc=$?"
grep -c hello tty.out
# The bar left on the last line: every job done, 1 complete, 1 failed.
grep -a -o "PD:0   R:0   CD:1   F:1   │\(█\)*│100\.0% [0-9]*:[0-9][0-9]:[0-9][0-9]" tty.out | tail -1 | sed "s/\(█\)*│1/█│1/; s/% .*/%/"
in_pty 80 24 fluxs watch --progress --jps "$ok" >jps.out
grep -a -q "│100\.0% *[0-9][0-9.]* job/s" jps.out && echo jps-ok
EOF
test_expect_success 'watch --progress draws a bar on the terminal'"'"'s last line (counts, share done, time or --jps), and only on a terminal' '
    run2 progress.sh >out 2>err &&
    cat >expected <<-\EOF &&
	not a tty: rc=0
	hello
	fluxs-watch: warning: stdout is not a tty. Ignoring --progress option
	tty: rc=2
	1
	PD:0   R:0   CD:1   F:1   │█│100.0%
	jps-ok
	EOF
    test_cmp expected out
'

# MARK: - pgrep

cat >pgrep.sh <<'EOF'
a=$(fluxs submit --job-name=alpha true)
fluxs job wait "$a"
b=$(fluxs submit --job-name=beta $LONG true)
c=$(fluxs submit --job-name=gamma --urgency=hold true)
fluxs job wait-event -q "$b" start && fluxs job wait-event -q "$c" priority
printf "%s\n" "$a" "$b" "$c" >ids
t() { echo "# $*"; "$@"; rc=$?; [ $rc = 0 ] || echo "rc=$rc"; }
t fluxs pgrep a
t fluxs pgrep -a a
t fluxs pgrep ^al
t fluxs pgrep -a ^al
t fluxs pgrep -a "$a..$b"
t fluxs pgrep -a "$b..$c" mm
t fluxs pgrep -a "name:$a..$c"
t fluxs pgrep -c 1 a
t fluxs pgrep -a --max-entries=1 .
t fluxs pgrep -f running .
t fluxs pgrep -A beta
t fluxs pgrep -u "$(id -un)" beta
t fluxs pgrep -o "{name} {state}" -a .
t fluxs pgrep -n -o "{name}" .
FLUXS_PGREP_FORMAT_DEFAULT="{name}" t fluxs pgrep .
t fluxs pgrep -q nosuchqueue .
EOF
test_expect_success 'pgrep: a pattern searched in names, an id range, or both; active jobs unless -a or -f; -c, --max-entries, -o, -n' '
    run2 pgrep.sh >out 2>err &&
    { read -r a && read -r b && read -r c; } <ids &&
    cat >expected <<-EOF &&
	# fluxs pgrep a
	$c
	$b
	# fluxs pgrep -a a
	$c
	$b
	$a
	# fluxs pgrep ^al
	rc=1
	# fluxs pgrep -a ^al
	$a
	# fluxs pgrep -a $a..$b
	$b
	$a
	# fluxs pgrep -a $b..$c mm
	$c
	# fluxs pgrep -a name:$a..$c
	rc=1
	# fluxs pgrep -c 1 a
	$c
	# fluxs pgrep -a --max-entries=1 .
	$c
	# fluxs pgrep -f running .
	$b
	# fluxs pgrep -A beta
	$b
	# fluxs pgrep -u $(id -un) beta
	$b
	# fluxs pgrep -o {name} {state} -a .
	NAME STATE
	gamma SCHED
	beta RUN
	alpha INACTIVE
	# fluxs pgrep -n -o {name} .
	gamma
	beta
	# fluxs pgrep .
	gamma
	beta
	# fluxs pgrep -q nosuchqueue .
	rc=1
	EOF
    test_cmp expected out &&
    test ! -s err
'

cat >pgrep-errors.sh <<'EOF'
fluxs submit --job-name=beta $LONG true >/dev/null
t() { echo "# $*"; "$@"; echo "rc=$?"; }
t fluxs pgrep one two
t fluxs pgrep "("
t fluxs pgrep -o nosuch .
t fluxs pgrep -o "{bogus}" nomatch
t fluxs pgrep -u nosuchuser .
t fluxs pgrep -f nosuchstate .
t fluxs pgrep -o help .
t fluxs pgrep -o full beta
EOF
test_expect_success 'pgrep: two patterns or a bad one exit 2, a bad format, user or filter exit 1; -o help and full' '
    run2 pgrep-errors.sh >out 2>err &&
    sed -n "/^# fluxs pgrep -o help/,/^rc=/p" out >help &&
    test_grep "^  full  *full fluxs-pgrep format string" help &&
    test_grep "^  deps  *" help &&
    grep -E "^ *JOBID +USER +NAME +ST +NTASKS +NNODES +TIME +INFO$" out &&
    grep -E "^ *(f|ƒ)[1-9A-HJ-NP-Za-km-z]+ +[^ ]+ +beta +R +1 " out &&
    grep "^rc=" out | tr "\n" " " >codes &&
    printf "rc=2 rc=2 rc=1 rc=1 rc=1 rc=1 rc=0 rc=0 " >expected &&
    test_cmp expected codes &&
    test_grep "^fluxs-pgrep: error: expression error: Only one pattern can be provided$" err &&
    test_grep "^fluxs-pgrep: error: expression error: " err &&
    test_grep "^fluxs-pgrep: error: --format: No such format nosuch$" err &&
    test_grep "^fluxs-pgrep: error: Error in user format: .*bogus" err &&
    test_grep "^fluxs-pgrep: error: --user \"nosuchuser\": no such user" err &&
    test_grep "^fluxs-pgrep: error: invalid filter specified: nosuchstate" err
'

# MARK: - pkill

cat >pkill.sh <<'EOF'
v1=$(fluxs submit --job-name=victim $LONG true)
v2=$(fluxs submit --job-name=victim --urgency=hold true)
k=$(fluxs submit --job-name=keeper $LONG true)
fluxs job wait-event -q "$v1" start && fluxs job wait-event -q "$k" start
echo "$k" >keeper
fluxs pkill -m "by name" --wait vict; echo "rc=$?"
fluxs jobs -a -n -o "{name} {state} {result} {exception.note}" | sed "s/ *$//" | sort
fluxs pkill vict; echo "none left: rc=$?"
fluxs pkill -f inactive victim; echo "inactive: rc=$?"
fluxs pkill "$k..$k"; echo "by id: rc=$?"
fluxs job wait-event -q "$k" clean
fluxs jobs -n -o "{name} {result}" "$k"
EOF
test_expect_success 'pkill cancels the matching jobs only (with -m as the note, --wait for their end) and says how many; exit 1 when none matched or a cancel failed' '
    run2 pkill.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=0
	keeper RUN
	victim INACTIVE CANCELED by name
	victim INACTIVE CANCELED by name
	none left: rc=1
	inactive: rc=1
	by id: rc=0
	keeper CANCELED
	EOF
    test_cmp expected out &&
    k=$(cat keeper) &&
    sed "s/\(f\|ƒ\)[1-9A-HJ-NP-Za-km-z]*:/ID:/" err >err.ids &&
    cat >expected.err <<-\EOF &&
	fluxs-pkill: Canceled 2 jobs
	fluxs-pkill: error: ID: cancel: job is inactive
	fluxs-pkill: error: ID: cancel: job is inactive
	fluxs-pkill: Canceled 0 jobs
	fluxs-pkill: Canceled 1 job
	EOF
    test_cmp expected.err err.ids
'

test_expect_success 'pkill takes no -a, -o or -n; an expression is required' '
    test_expect_code 2 fluxs pkill -a x 2>err &&
    test_grep "^fluxs-pkill: error: " err &&
    test_expect_code 2 fluxs pkill 2>err &&
    test_grep "^fluxs-pkill: error: " err &&
    test_expect_code 2 fluxs pgrep 2>err &&
    test_grep "^fluxs-pgrep: error: " err
'

test_done
