#!/usr/bin/env bash
test_description='real job execution: task environment, placement, affinity, GPUs, output and input, exit codes, signals, time limits, cancel, Ctrl-C, submit and bulksubmit options, bad input'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/jobs-lib.sh"

# Every job here runs real processes through fluxs-shell (t0500-jobs.t covers the job
# manager with the exec test mode). Each test writes its script first, runs it as the
# initial program of a fresh instance, and compares what a user would see.

# rank_attr RANK NAME: the attribute NAME of the broker at RANK (routed there).
rank_attr() {
    fluxs_raw rpc --rank "$1" attr.get "{\"name\":\"$2\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"value\"])"
}

# norm_mask: a CPU mask as taskset -p or hwloc-calc --taskset prints it, reduced to bare
# hex digits without leading zeros, so that both forms compare.
norm_mask() { sed 's/.*: //; s/0x//g; s/,//g; s/^0*//'; }
export -f rank_attr norm_mask

ncores=$(hwloc-calc --number-of core machine:0)
[ "$ncores" -ge 2 ] && command -v taskset >/dev/null && test_set_prereq MULTICORE

# An R for two nodes, each with cores 0-1 and GPUs 0-1; only rank 1 has the property bigmem.
python3 - "$TRASH_DIRECTORY/gpus.json" <<'EOF'
import json, sys
R = {"version": 1, "execution": {"R_lite": [{"rank": "0-1", "children": {"core": "0-1", "gpu": "0-1"}}],
                                 "properties": {"bigmem": "1"},
                                 "nodelist": ["node[0-1]"], "starttime": 0, "expiration": 0}}
json.dump(R, open(sys.argv[1], "w"))
EOF

# MARK: - The environment of the tasks

cat >env.sh <<'EOF'
set -e
id=$(fluxs submit -N2 -n4 --output=env.out sh -c '
    case $PMI_FD in [0-9]*) fd=fd ;; *) fd="PMI_FD=$PMI_FD" ;; esac
    echo "$FLUXS_TASK_RANK $FLUXS_TASK_LOCAL_ID $FLUXS_JOB_SIZE $FLUXS_JOB_NNODES $PMI_RANK $PMI_SIZE $MPI_LOCALNRANKS $MPI_LOCALRANKID $fd $(fluxs getattr rank) $FLUXS_URI $FLUXS_JOB_ID"')
echo "$id" >id
fluxs job wait "$id"
rank_attr 0 local-uri >uri0
rank_attr 1 local-uri >uri1
sort env.out
EOF
test_expect_success 'each task gets its ranks, the job sizes, PMI and MPI variables, its node'"'"'s broker and the id submit printed' '
    run2 env.sh >out 2>err &&
    id=$(cat id) && u0=$(cat uri0) && u1=$(cat uri1) &&
    case $id in ƒ*) ;; *) echo "not an f58 id: $id"; false ;; esac &&
    test "$u0" != "$u1" &&
    cat >expected <<-EOF &&
	0 0 4 2 0 4 2 0 fd 0 $u0 $id
	1 1 4 2 1 4 2 1 fd 0 $u0 $id
	2 0 4 2 2 4 2 0 fd 1 $u1 $id
	3 1 4 2 3 4 2 1 fd 1 $u1 $id
	EOF
    test_cmp expected out
'

cat >envrules.sh <<'EOF'
set -e -o pipefail
export DROPME=1 DROPTOO=2 KEEP=3 STAYS=4
printf '# a comment\nFILEVAR=from-file\n\n-DROP*\n' >rules.env
fluxs run --env=A=1 --env='B=$A-x' --env-remove=KEEP --env-file=rules.env sh -c 'echo "A=$A B=$B KEEP=${KEEP-unset} FILEVAR=$FILEVAR DROPME=${DROPME-unset} DROPTOO=${DROPTOO-unset} STAYS=$STAYS"'
fluxs run --env='-*' --env=PATH --env=ONLY=1 env | sed 's/=.*//' | sort | tr '\n' ' '; echo
mkdir -p sub && cd sub
fluxs run pwd
fluxs run --cwd=/ pwd
EOF
test_expect_success '--env, --env-remove and --env-file edit the submitter'"'"'s environment; the cwd is the submit directory or --cwd' '
    run2 envrules.sh >out 2>err &&
    cat >expected <<-EOF &&
	A=1 B=1-x KEEP=unset FILEVAR=from-file DROPME=unset DROPTOO=unset STAYS=4
	FLUXS_JOB_ID FLUXS_JOB_NNODES FLUXS_JOB_SIZE FLUXS_JOB_TMPDIR FLUXS_TASK_LOCAL_ID FLUXS_TASK_RANK FLUXS_URI MPI_LOCALNRANKS MPI_LOCALRANKID ONLY PATH PMI_FD PMI_RANK PMI_SIZE 
	$PWD/sub
	/
	EOF
    test_cmp expected out
'

# MARK: - Placement, CPU and GPU binding

cat >placement.sh <<'EOF'
set -e -o pipefail
fluxs run -N2 -n4 -l fluxs getattr rank | sort
fluxs run -N2 -n3 -l fluxs getattr rank | sort
EOF
test_expect_success 'task ranks are given node by node: -N2 -n4 puts 0,1 on broker 0 and 2,3 on broker 1' '
    run2 placement.sh >out 2>err &&
    cat >expected <<-\EOF &&
	0: 0
	1: 0
	2: 1
	3: 1
	0: 0
	1: 0
	2: 1
	EOF
    test_cmp expected out
'

cat >perres.sh <<'EOF'
set -e -o pipefail
fluxs run -N2 --tasks-per-node=2 -l sh -c 'echo $(fluxs getattr rank) $FLUXS_JOB_SIZE $FLUXS_TASK_LOCAL_ID' | sort
echo per-core
fluxs run -N2 --tasks-per-core=2 sh -c 'fluxs getattr rank' | sort | uniq -c | awk '{print $2, $1}'
echo cores
fluxs run --cores=2 sh -c 'echo $FLUXS_JOB_SIZE'
EOF
test_expect_success '--tasks-per-node, --tasks-per-core and --cores place tasks as Flux does' '
    run2 perres.sh >out 2>err &&
    cat >expected <<-EOF &&
	0: 0 4 0
	1: 0 4 1
	2: 1 4 0
	3: 1 4 1
	per-core
	0 $((2 * ncores))
	1 $((2 * ncores))
	cores
	2
	2
	EOF
    test_cmp expected out
'

cat >affinity.sh <<'EOF'
set -e -o pipefail
# The task's CPU mask in hex, as norm_mask gives it.
mask='taskset -p $$ | sed "s/.*: //; s/,//g; s/^0*//"'
echo per-task; fluxs run -N1 -n2 -l sh -c "$mask" | sort
echo on; fluxs run -N1 -n2 -l --setopt=cpu-affinity=on sh -c "$mask" | sort
echo two-cores; fluxs run -N1 -n1 -c2 sh -c "$mask"
echo one-task; fluxs run -N1 -n1 sh -c "$mask"
echo off; fluxs run -N1 -n1 --setopt=cpu-affinity=off sh -c "$mask"
EOF
test_expect_success MULTICORE 'cpu-affinity: per-task binds each task to its core, on to all the job'"'"'s cores, off to nothing' '
    run2 affinity.sh >out 2>err &&
    c0=$(hwloc-calc --taskset core:0 | norm_mask) &&
    c1=$(hwloc-calc --taskset core:1 | norm_mask) &&
    c01=$(hwloc-calc --taskset core:0-1 | norm_mask) &&
    all=$(taskset -p $$ | norm_mask) &&
    test "$c0" != "$all" &&
    cat >expected <<-EOF &&
	per-task
	0: $c0
	1: $c1
	on
	0: $c01
	1: $c01
	two-cores
	$c01
	one-task
	$c0
	off
	$all
	EOF
    test_cmp expected out
'

cat >gpus.sh <<'EOF'
set -e -o pipefail
gpus='echo ${CUDA_VISIBLE_DEVICES-unset} ${ROCR_VISIBLE_DEVICES-unset}'
echo per-task; fluxs run -N2 -n4 -g1 -l sh -c "$gpus" | sort
echo on; fluxs run -N2 -n4 -g1 -l --setopt=gpu-affinity=on sh -c "$gpus" | sort
echo off; fluxs run -N2 -n4 -g1 -l --setopt=gpu-affinity=off sh -c "$gpus" | sort
echo none; fluxs run -N2 -n2 -l sh -c "$gpus" | sort
echo two; fluxs run -N1 -n1 -g2 sh -c "$gpus"
echo requires; fluxs run --requires=bigmem fluxs getattr rank
fluxs run --requires=^bigmem fluxs getattr rank
EOF
test_expect_success 'GPUs: each task sees its GPUs (per-task), all of the node'"'"'s (on) or none (off); --requires picks the node' '
    run2 gpus.sh -Sresource.path="$PWD/gpus.json" -Sresource.noverify=1 >out 2>err &&
    cat >expected <<-\EOF &&
	per-task
	0: 0 0
	1: 1 1
	2: 0 0
	3: 1 1
	on
	0: 0,1 0,1
	1: 0,1 0,1
	2: 0,1 0,1
	3: 0,1 0,1
	off
	0: unset unset
	1: unset unset
	2: unset unset
	3: unset unset
	none
	0: unset unset
	1: unset unset
	two
	0,1 0,1
	requires
	1
	0
	EOF
    test_cmp expected out
'

# MARK: - Output

cat >guestoutput.py <<'EOF'
# Checks a guest.output eventlog (RFC 24) of a job of 2 tasks that each wrote outN and
# errN: the header first, then the data, each stream of each rank closed by eof.
import json, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
head = entries[0]
assert head["name"] == "header", head
assert head["context"]["version"] == 1, head
assert head["context"]["count"] == {"stdout": 2, "stderr": 2}, head
assert all(e["name"] == "data" for e in entries[1:]), entries
data = sorted((e["context"]["stream"], e["context"]["rank"], e["context"]["data"])
              for e in entries[1:] if "data" in e["context"])
assert data == [("stderr", "0", "err0\n"), ("stderr", "1", "err1\n"),
                ("stdout", "0", "out0\n"), ("stdout", "1", "out1\n")], data
seen = set()
for e in entries[1:]:
    c = e["context"]
    key = (c["stream"], c["rank"])
    if c.get("eof"):
        seen.add(key)
    else:
        assert key not in seen, "data after eof: %r" % e
assert seen == {("stdout", "0"), ("stdout", "1"), ("stderr", "0"), ("stderr", "1")}, seen
EOF

# With two nodes, two shells write into the same eventlog: ten jobs, each log checked.
cat >kvsout.sh <<'EOF'
set -e
for i in $(seq 10); do
    id=$(fluxs submit -N2 -n2 sh -c 'echo out$FLUXS_TASK_RANK; echo err$FLUXS_TASK_RANK >&2')
    fluxs job wait "$id"
    fluxs kvs get "job.$(fluxs job id --to=dothex "$id").guest.output" >guest.output.$i
done
EOF
test_expect_success 'output goes to the guest.output eventlog (RFC 24): the header first, data by stream and rank, eof for each' '
    run2 kvsout.sh >out 2>err &&
    for i in $(seq 10); do
        python3 guestoutput.py guest.output.$i || { echo "job $i:" && cat guest.output.$i; }
    done >bad 2>&1 &&
    test_cmp /dev/null bad
'

cat >live.sh <<'EOF'
set -e
id=$(fluxs submit sh -c 'echo first; for i in $(seq 400); do test -e go && break; sleep 0.05; done; echo second')
fluxs job attach "$id" >live.out 2>live.err &
attach=$!
wait_for_file live.out
cat live.out
touch go
wait "$attach"
cat live.out
EOF
test_expect_success 'fluxs job attach prints the output as the job writes it' '
    run2 live.sh >out 2>err &&
    printf "first\nfirst\nsecond\n" >expected &&
    test_cmp expected out &&
    test_cmp /dev/null live.err
'

cat >attachafter.sh <<'EOF'
id=$(fluxs submit -n2 sh -c 'echo o$FLUXS_TASK_RANK; echo e$FLUXS_TASK_RANK >&2; exit 5')
fluxs job wait-event -q -t 30s "$id" clean
fluxs job attach "$id" >after.out 2>after.err
echo rc=$?
fluxs job attach -l "$id" >after-l.out 2>/dev/null
echo rc=$?
EOF
test_expect_success 'fluxs job attach on a job that has ended prints all its output and exits with its code' '
    run2 attachafter.sh >out 2>err &&
    printf "rc=5\nrc=5\n" >expected &&
    test_cmp expected out &&
    printf "o0\no1\n" >expected &&
    sort after.out >after.sorted &&
    test_cmp expected after.sorted &&
    printf "e0\ne1\nfluxs-job: task(s) exited with exit code 5\n" >expected &&
    sort after.err >after.sorted &&
    test_cmp expected after.sorted &&
    printf "0: o0\n1: o1\n" >expected &&
    sort after-l.out >after.sorted &&
    test_cmp expected after.sorted
'

cat >files.sh <<'EOF'
set -e
id=$(fluxs submit -N2 -n2 --output='o-{{id}}-{{id.dec}}-{{id.hex}}-{{name}}.out' sh -c 'echo out$FLUXS_TASK_RANK; echo err$FLUXS_TASK_RANK >&2')
fluxs job wait "$id"
sort "o-$id-$(fluxs job id "$id")-$(fluxs job id --to=hex "$id")-sh.out"
fluxs run --job-name=named --output='{{name}}.out' --error='{{name}}.err' -l -n2 sh -c 'echo out; echo err >&2' >run.out 2>run.err
test ! -s run.out && test ! -s run.err && echo nothing-printed
sort named.out
sort named.err
echo old old old old old >trunc.out
fluxs run --output=trunc.out echo new
cat trunc.out
mkdir -p sub
fluxs run --cwd="$PWD/sub" --output=rel.out pwd
cat sub/rel.out
fluxs run --error=only.err sh -c 'echo to-kvs; echo to-file >&2'
cat only.err
EOF
test_expect_success '--output and --error: templates, stderr with stdout by default, labels, truncation, relative to the cwd' '
    run2 files.sh >out 2>err &&
    cat >expected <<-EOF &&
	err0
	err1
	out0
	out1
	nothing-printed
	0: out
	1: out
	0: err
	1: err
	new
	$PWD/sub
	to-kvs
	to-file
	EOF
    test_cmp expected out &&
    test_cmp /dev/null err
'

# MARK: - Input

cat >input.sh <<'EOF'
set -e -o pipefail
printf 'a\nb\n' | fluxs run -n2 cat | sort
printf 'a\nb\n' | fluxs run -N2 -n2 -l cat | sort
printf 'in1\nin2\n' >in.txt
echo ignored | fluxs run -n2 --input=in.txt cat | sort
rc=0; timeout 20 fluxs submit --quiet --wait cat || rc=$?
echo submit-wait=$rc
EOF
test_expect_success 'stdin of fluxs run goes to every task; --input reads a file; fluxs submit gives /dev/null' '
    run2 input.sh >out 2>err &&
    cat >expected <<-\EOF &&
	a
	a
	b
	b
	0: a
	0: b
	1: a
	1: b
	in1
	in1
	in2
	in2
	submit-wait=0
	EOF
    test_cmp expected out
'

# fluxs run reads a fifo that stays open, so that it sends nothing until the end; each
# attach sends its own stdin to the ranks it names.
cat >stdinranks.sh <<'EOF'
mkfifo fifo
fluxs run -l -n2 cat <fifo >run.out 2>run.err &
run=$!
exec 3>fifo
for i in $(seq 200); do id=$(fluxs jobs -n -o "{id.f58}"); test -n "$id" && break; sleep 0.1; done
fluxs job wait-event -q -t 20s "$id" start || exit 1
echo not-sent | fluxs job attach -r "$id" >ro.out 2>ro.err 3>&- &
ro=$!
echo one | fluxs job attach --stdin-ranks=1 "$id" >/dev/null 2>&1 3>&- &
wait_for_line one run.out || exit 1
echo zero | fluxs job attach --stdin-ranks=0 "$id" >/dev/null 2>&1 3>&- &
wait_for_line zero run.out || exit 1
exec 3>&-
wait "$run"; echo run=$?
wait "$ro"; echo ro=$?
cat run.out
sort ro.out
EOF
test_expect_success 'fluxs job attach --stdin-ranks sends stdin to those tasks only; --read-only sends none' '
    timeout 50 bash -c "run2 stdinranks.sh" >out 2>err &&
    cat >expected <<-\EOF &&
	run=0
	ro=0
	1: one
	0: zero
	one
	zero
	EOF
    test_cmp expected out
'

# MARK: - Exit codes

cat >codes.sh <<'EOF'
fluxs run sh -c 'exit 3'; echo rc=$?
fluxs run -n3 sh -c 'exit $FLUXS_TASK_RANK'; echo rc=$?
fluxs run sh -c 'kill -9 $$'; echo rc=$?
fluxs run nosuchcmd-xyz; echo rc=$?
printf 'echo x\n' >notexec
chmod 644 notexec
fluxs run ./notexec; echo rc=$?
fluxs submit --quiet --wait sh -c 'exit 3'; echo rc=$?
id=$(fluxs submit sh -c 'kill -9 $$')
fluxs job wait-event -q -t 30s "$id" clean
fluxs jobs -n -o "{result}" "$id"
fluxs job status "$id"; echo status=$?
fluxs run true; echo rc=$?
EOF
test_expect_success 'the exit code is the largest of the tasks'"'"', 128+N for signal N; 127 and 126 for commands that cannot start' '
    run2 codes.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=3
	rc=2
	rc=137
	rc=127
	rc=126
	rc=3
	FAILED
	status=137
	rc=0
	EOF
    test_cmp expected out &&
    cat >expected <<-\EOF &&
	fluxs-run: task(s) exited with exit code 3
	fluxs-run: task(s) exited with exit code 2
	fluxs-run: task(s) killed by signal 9
	fluxs-shell[0]: error: task 0: nosuchcmd-xyz: command not found
	fluxs-run: task(s) exited with exit code 127
	fluxs-shell[0]: error: task 0: ./notexec: Permission denied
	fluxs-run: task(s) exited with exit code 126
	EOF
    test_cmp expected err
'

cat >codes130.sh <<'EOF'
fluxs run sh -c 'exit 130'; echo rc=$?
fluxs run sh -c 'kill -INT $$'; echo rc=$?
fluxs run -N2 -n2 sh -c 'test $FLUXS_TASK_RANK = 1 && exit 130; exit 0'; echo rc=$?
fluxs run -N2 -n2 sh -c 'test $FLUXS_TASK_RANK = 1 && kill -INT $$; exit 130'; echo rc=$?
id=$(fluxs submit sh -c 'exit 130')
fluxs job wait-event -q -t 30s "$id" clean
fluxs job eventlog "$id" | grep -o "finish.*status=[0-9]*"
EOF
test_expect_success 'a task exit code of 129-192 is an exit code, not a signal, on one node and across nodes' '
    run2 codes130.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=130
	rc=130
	rc=130
	rc=130
	finish status=33280
	EOF
    test_cmp expected out &&
    cat >expected <<-\EOF &&
	fluxs-run: task(s) exited with exit code 130
	fluxs-run: task(s) killed by signal 2
	fluxs-run: task(s) exited with exit code 130
	fluxs-run: task(s) killed by signal 2
	EOF
    test_cmp expected err
'

# MARK: - Signals, time limits, cancel, Ctrl-C

cat >signal.sh <<'EOF'
set -e
id=$(fluxs submit -N2 -n2 --output=usr1.out sh -c 'trap "echo got-usr1-$FLUXS_TASK_RANK; exit 0" USR1; echo ready >usr1-ready$FLUXS_TASK_RANK; for i in $(seq 600); do sleep 0.1; done; exit 1')
wait_for_file usr1-ready0
wait_for_file usr1-ready1
fluxs job kill -s USR1 "$id"
fluxs job wait "$id" && echo completed
grep got usr1.out | sort
EOF
test_expect_success 'fluxs job kill -s USR1 delivers SIGUSR1 to every task of every node' '
    run2 signal.sh >out 2>err &&
    printf "completed\ngot-usr1-0\ngot-usr1-1\n" >expected &&
    test_cmp expected out
'

cat >timelimit.sh <<'EOF'
fluxs run -t 1s sleep 30; echo rc=$?
fluxs jobs -n -o "{result} {exception.type}" "$(fluxs job last)"
fluxs setattr job-exec.kill-timeout 0.5s
fluxs getattr job-exec.kill-timeout
fluxs run -t 1s sh -c 'trap "" TERM; for i in $(seq 300); do sleep 0.1; done'; echo rc=$?
fluxs jobs -n -o "{result} {exception.type}" "$(fluxs job last)"
EOF
test_expect_success 'a time limit sends SIGTERM (143); a task that ignores it gets SIGKILL after job-exec.kill-timeout (137)' '
    run2 timelimit.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=143
	TIMEOUT timeout
	0.5s
	rc=137
	TIMEOUT timeout
	EOF
    test_cmp expected out &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" err >err.ids &&
    cat >expected <<-\EOF &&
	fluxs-run: ID: exception type=timeout: resource allocation expired
	fluxs-run: task(s) killed by signal 15
	fluxs-run: ID: exception type=timeout: resource allocation expired
	fluxs-run: task(s) killed by signal 9
	EOF
    test_cmp expected err.ids
'

# Each task leaves a child in the background and another that ignores SIGTERM; every
# process the job made carries T0600_MARK in its environment.
cat >cancel.sh <<'EOF'
set -e
fluxs setattr job-exec.kill-timeout 0.5s
mark=cancel-$$
id=$(fluxs submit -N2 -n4 --env=T0600_MARK=$mark sh -c 'sleep 300 & (trap "" TERM; exec sleep 300) & echo up >up$FLUXS_TASK_RANK; wait')
for r in 0 1 2 3; do wait_for_file up$r; done
echo before=$(live_marked $mark | wc -l)
fluxs cancel "$id"
fluxs job wait-event -q -t 30s "$id" clean
fluxs jobs -n -o "{result} {exception.type}" "$id"
for i in $(seq 100); do test -z "$(live_marked $mark)" && break; sleep 0.1; done
echo after=$(live_marked $mark | wc -l)
left=$(live_marked $mark)
test -z "$left" || ps -o pid,ppid,pgid,args -p $left >&2
EOF
test_expect_success 'fluxs cancel ends a running job and leaves no process of it behind, not even one ignoring SIGTERM' '
    run2 cancel.sh >out 2>err &&
    cat >expected <<-\EOF &&
	before=12
	CANCELED cancel
	after=0
	EOF
    test_cmp expected out
'

cat >ctrlc.sh <<'EOF'
rm -f int-ready0 int-ready1
# One interrupt: the tasks get SIGINT (and here exit 0 on it).
fluxs run -N2 -n2 sh -c 'trap "echo int$FLUXS_TASK_RANK; exit 0" INT; echo ready >int-ready$FLUXS_TASK_RANK; for i in $(seq 600); do sleep 0.1; done; exit 1' >int1.out 2>int1.err &
run=$!
wait_for_file int-ready0 && wait_for_file int-ready1 || exit 1
kill -INT $run
wait $run; echo once=$?
sort int1.out
rm -f int-ready0 int-ready1
# Two interrupts within 2 s: the job is canceled; tasks that ignore SIGINT end anyway.
fluxs run -N2 -n2 sh -c 'trap "" INT; echo ready >int-ready$FLUXS_TASK_RANK; for i in $(seq 600); do sleep 0.1; done; exit 1' >int2.out 2>int2.err &
run=$!
wait_for_file int-ready0 && wait_for_file int-ready1 || exit 1
kill -INT $run
wait_for_line "sent SIGINT" int2.err || exit 1
kill -INT $run
wait $run; echo twice=$?
fluxs jobs -n -o "{result} {exception.type}" "$(fluxs job last)"
EOF
test_expect_success 'Ctrl-C on fluxs run: once sends SIGINT to the tasks; twice within 2 s cancels the job' '
    run2 ctrlc.sh >out 2>err &&
    cat >expected <<-\EOF &&
	once=0
	int0
	int1
	twice=143
	CANCELED cancel
	EOF
    test_cmp expected out &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" int1.err >int1.ids &&
    echo "fluxs-run: sent SIGINT to ID; one more Ctrl-C within 2 s cancels it" >expected &&
    test_cmp expected int1.ids &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" int2.err >int2.ids &&
    test_grep "^fluxs-run: sent SIGINT to ID; one more Ctrl-C within 2 s cancels it$" int2.ids &&
    test_grep "^fluxs-run: ID: exception type=cancel: " int2.ids &&
    test_grep "^fluxs-run: task(s) killed by signal 15$" int2.ids
'

# MARK: - Submission options

cat >submit.sh <<'EOF'
set -e -o pipefail
rc=0; fluxs submit --quiet --wait sh -c 'exit 3' >quiet.out || rc=$?
echo wait=$rc
test ! -s quiet.out && echo quiet
rc=0; fluxs submit --quiet --watch sh -c 'echo watched; echo to-stderr >&2; exit 4' 2>watch.err || rc=$?
echo watch=$rc
cat watch.err
fluxs submit --quiet --wait --cc=1-3 --output='cc-{{id}}.out' sh -c 'echo {cc} ${FLUXS_JOB_CC-unset}'
cat cc-*.out | sort
fluxs submit --quiet --wait --bcc=1-3 --output='bcc-{{id}}.out' sh -c 'echo {cc} ${FLUXS_JOB_CC-unset}'
cat bcc-*.out | sort
# afterok: the second job runs only once the first has completed.
first=$(fluxs submit sh -c 'sleep 0.5; echo from-first >dep.txt')
second=$(fluxs submit --dependency=afterok:$first --output=dep2.out cat dep.txt)
fluxs job wait "$second" && echo second-ok
cat dep2.out
bad=$(fluxs submit false)
dep=$(fluxs submit --dependency=afterok:$bad true)
fluxs job wait-event -q -t 30s "$dep" clean
fluxs jobs -n -o "{result} {exception.type}" "$dep"
# Attributes, urgency and name reach the job.
fluxs run --setattr=user.color=blue --urgency=31 --job-name=myname sh -c 'fluxs job info $FLUXS_JOB_ID jobspec' |
    python3 -c 'import json,sys; j = json.load(sys.stdin)["attributes"]; print(j["user"]["color"], j["system"]["job"]["name"])'
fluxs jobs -a -n -o "{name} {urgency}" "$(fluxs job last)"
EOF
test_expect_success 'submit: --wait and --watch exit with the job'"'"'s code; --quiet, --cc, --bcc, --dependency, --setattr, --urgency, --job-name' '
    run2 submit.sh >out 2>err &&
    cat >expected <<-\EOF &&
	wait=3
	quiet
	watched
	watch=4
	to-stderr
	fluxs-submit: task(s) exited with exit code 4
	1 1
	2 2
	3 3
	1 unset
	2 unset
	3 unset
	second-ok
	from-first
	FAILED dependency
	blue myname
	myname 31
	EOF
    test_cmp expected out
'

cat >submitlog.sh <<'EOF'
set -e
id=$(fluxs submit --wait-event=start sleep 300)
fluxs jobs -n -o "{state}" "$id"
fluxs cancel "$id"
rc=0; fluxs submit --wait-event=nosuch true >id.out 2>err.out || rc=$?
echo nosuch=$rc $(wc -l <id.out) $(sed "s/ƒ[^:]*/ID/" err.out)
fluxs submit --cc=1-2 --log=job{cc}.id true >out.txt
echo stdout=$(wc -c <out.txt) $(cat job1.id job2.id | grep -c "^ƒ")
rc=0; fluxs submit --log=all.log --log-stderr=err.log --wait-event=nosuch true || rc=$?
echo log=$rc $(grep -c "^ƒ" all.log) $(grep -c "without event" err.log)
rc=0; fluxs submit -v --wait sh -c "exit 3" >/dev/null 2>v.err || rc=$?
echo verbose=$rc $(sed "s/^ƒ[^:]*: [0-9.]*s:/ID: Ts:/" v.err)
fluxs bulksubmit --log=b{}.id true ::: x y
echo bulk $(cat bx.id by.id | grep -c "^ƒ")
fluxs run -v true 2>run.err
sed "s/ƒ.*/ID/" run.err
EOF
test_expect_success 'submit and bulksubmit --wait-event, --log, --log-stderr and -v; run -v' '
    run2 submitlog.sh >out 2>err &&
    cat >expected <<-\EOF &&
	RUN
	nosuch=1 1 fluxs-submit: error: ID: ended (clean) without event "nosuch"
	stdout=0 2
	log=1 1 1
	verbose=3 ID: Ts: failed: status=768
	bulk 2
	jobid: ID
	EOF
    test_cmp expected out
'

cat >jobsubmit.sh <<'EOF'
set -e
fluxs submit --dry-run sh -c 'echo from-json' >js.json
id=$(fluxs job submit js.json)
fluxs job attach "$id"
id=$(fluxs submit --dry-run sh -c 'echo from-stdin' | fluxs job submit -u 20 --flags=waitable)
fluxs job attach "$id"
fluxs jobs -a -n -o "{urgency}" "$id"
cat >js.yaml <<YAML
version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - type: core
        count: 1
tasks:
  - command: ["sh", "-c", "echo from-yaml"]
    slot: task
    count:
      per_slot: 1
attributes:
  system:
    duration: 0
    cwd: $PWD
    environment: {PATH: "$PATH"}
YAML
fluxs job attach $(fluxs job submit <js.yaml)
rc=0; fluxs job submit </dev/null 2>err || rc=$?; echo empty=$rc $(cat err)
echo '{"version": 2}' >bad.json
rc=0; fluxs job submit bad.json 2>err || rc=$?; echo bad=$rc $(grep -c "^fluxs-job: error: bad.json: " err)
rc=0; fluxs job submit --flags=signed js.json 2>err || rc=$?; echo signed=$rc $(sed "s/([0-9]* parts)/(N parts)/" err)
sed "s/from-json/from-J/" js.json | PYTHONPATH=$SRCDIR/bindings/python python3 -c "import sys; from fluxs.security import sign_none; print(sign_none(sys.stdin.buffer.read()))" >js.J
fluxs job attach $(fluxs job submit --flags=signed js.J)
EOF
test_expect_success 'fluxs job submit: a jobspec in JSON or YAML, from a file or stdin, --urgency, --flags, a J signed ahead (--flags=signed)' '
    run2 jobsubmit.sh >out 2>err &&
    cat >expected <<-\EOF &&
	from-json
	from-stdin
	20
	from-yaml
	empty=1 fluxs-job: error: required jobspec is empty
	bad=1 1
	signed=1 fluxs-job: error: J: not HEADER.PAYLOAD.SIGNATURE (N parts)
	from-J
	EOF
    test_cmp expected out
'

cat >raise.sh <<'EOF'
set -e
a=$(fluxs submit sleep 300)
b=$(fluxs submit sleep 300)
fluxs job raise "$a" "$b" -- the note
for j in "$a" "$b"; do fluxs job wait-event -q "$j" clean; done
fluxs jobs -a -n -o "{result}" "$a" "$b"
fluxs job eventlog "$b" | grep -c "the note"
c=$(fluxs submit sleep 300)
fluxs job raiseall test 2>&1
fluxs job raiseall -f -s0 test oops 2>&1
fluxs job wait-event -q "$c" clean
fluxs jobs -a -n -o "{result}" "$c"
d=$(fluxs submit --wait-event=start sleep 300)
fluxs job killall 2>&1
fluxs job killall -f -s KILL 2>&1
fluxs job wait-event -q "$d" clean
fluxs jobs -a -n -o "{returncode}" "$d"
fluxs job killall 2>&1
EOF
test_expect_success 'fluxs job raise ID... [--] NOTE; raiseall and killall count without -f, act with it' '
    run2 raise.sh >out 2>err &&
    cat >expected <<-\EOF &&
	CANCELED
	CANCELED
	1
	fluxs-job: Command matched 1 jobs (-f to confirm)
	fluxs-job: Raised exception on 1 jobs (0 errors)
	FAILED
	fluxs-job: Command matched 1 jobs (-f to confirm)
	fluxs-job: Killed 1 jobs (0 errors)
	-9
	fluxs-job: Command matched 0 jobs
	EOF
    test_cmp expected out
'

cat >addfile.sh <<'EOF'
set -e
printf "from a file\n" >data.txt
printf "\377\001" >bin.dat
fluxs run -N2 --add-file=data.txt --add-file=run.sh:0700="#!/bin/sh\necho script \$1\n" --add-file=bin.dat \
    sh -c 'cat $FLUXS_JOB_TMPDIR/data.txt; $FLUXS_JOB_TMPDIR/run.sh arg; stat -c %a $FLUXS_JOB_TMPDIR/run.sh; od -An -tx1 $FLUXS_JOB_TMPDIR/bin.dat' | sort | uniq -c | sed "s/^ *//"
EOF
test_expect_success '--add-file puts files in every node'"'"'s job directory: content, mode, binary data' '
    run2 addfile.sh >out 2>err &&
    cat >expected <<-\EOF &&
	2  ff 01
	2 700
	2 from a file
	2 script arg
	EOF
    test_cmp expected out
'

cat >bulk.sh <<'EOF'
set -e
fluxs bulksubmit --dry-run echo {0} {1} {seq} ::: a b ::: 1 2 3
printf 'p\nq\n' | fluxs bulksubmit --dry-run echo {} {seq}
printf 'r,s,t' | fluxs bulksubmit --quiet --wait --sep=, --output=b-{}.out echo {}
cat b-r.out b-s.out b-t.out
rc=0; fluxs bulksubmit --quiet --wait sh -c 'exit {}' ::: 0 4 2 || rc=$?
echo wait=$rc
fluxs bulksubmit --job-name=n{} --wait true ::: u v | grep -c "^ƒ"
fluxs jobs -a -n -o "{name} {result}" | grep "^n" | sort
EOF
test_expect_success 'bulksubmit: one job per input, cross products, {seq}, stdin with --sep, --wait with the largest code' '
    run2 bulk.sh >out 2>err &&
    cat >expected <<-\EOF &&
	bulksubmit: submit echo a 1 0
	bulksubmit: submit echo a 2 1
	bulksubmit: submit echo a 3 2
	bulksubmit: submit echo b 1 3
	bulksubmit: submit echo b 2 4
	bulksubmit: submit echo b 3 5
	bulksubmit: submit echo p 0
	bulksubmit: submit echo q 1
	r
	s
	t
	wait=4
	2
	nu COMPLETED
	nv COMPLETED
	EOF
    test_cmp expected out
'

# MARK: - fluxs job timeleft, {cc} in options

cat >timeleft.sh <<'EOF'
set -e
fluxs job timeleft
fluxs job timeleft -H
fluxs run -t 10m fluxs job timeleft >in.job
fluxs run -t 10m fluxs job timeleft -H >in.job.h
fluxs run fluxs job timeleft
id=$(fluxs submit -t 5m sleep 300)
fluxs job wait-event -q -t 20s "$id" start
fluxs job timeleft "$id" >by.id
fluxs cancel "$id"
fluxs job wait-event -q -t 20s "$id" clean
fluxs job timeleft "$id"
held=$(fluxs submit --urgency=hold true)
fluxs job timeleft "$held" 2>err.held || echo held=$?
fluxs cancel "$held"
fluxs submit --quiet --wait --cc=1-2 --output=cc{cc}.out --env=PART=p{cc} sh -c 'echo $PART'
cat cc1.out cc2.out
EOF
test_expect_success 'job timeleft: the job'"'"'s (FLUXS_JOB_ID, or an id), else the instance'"'"'s; 0 once ended; -H; {cc} in --output and --env' '
    run2 timeleft.sh >out 2>err &&
    cat >expected <<-\EOF &&
	4294967295
	infinity
	4294967295
	0
	held=1
	p1
	p2
	EOF
    test_cmp expected out &&
    test $(cat in.job) -ge 500 && test $(cat in.job) -le 600 &&
    test_grep "^[0-9.]*m$" in.job.h &&
    test $(cat by.id) -ge 200 && test $(cat by.id) -le 300 &&
    test_grep "^fluxs-job: error: job ƒ[^ ]* has not started" err.held
'

# The second job of each list ends before --watch gets to it.
cat >bulkwatch.sh <<'EOF'
fluxs bulksubmit --watch --job-name=j{} echo {} ::: x y >ids-and-output; echo rc=$?
grep -c "^ƒ" ids-and-output
grep -v "^ƒ" ids-and-output
fluxs jobs -a -n -o "{name}" | sort
fluxs bulksubmit --quiet --watch sh -c 'sleep {}; echo slept-{}' ::: 1 0; echo rc=$?
EOF
test_expect_success 'bulksubmit --watch prints the output of every job, one after the other' '
    run2 bulkwatch.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=0
	2
	x
	y
	jx
	jy
	slept-1
	slept-0
	rc=0
	EOF
    test_cmp expected out
'

# MARK: - Bad input

cat >bad.sh <<'EOF'
fluxs run --setopt=cpu-affinity=bogus true; echo rc=$?
fluxs run true; echo rc=$?
fluxs run --output=nodir/out.txt echo hi; echo rc=$?
fluxs run --cwd=/no/such/dir pwd; echo rc=$?
fluxs run --input=nosuch.in cat; echo rc=$?
fluxs run echo still-serving; echo rc=$?
fluxs jobs -a -n -o "{result} {exception.type}" | sort | uniq -c | awk '{print $1, $2, $3}'
EOF
test_expect_success 'a bad shell option, an output file that cannot be made, a missing cwd or input file: the job fails with an exec exception saying why; the instance goes on' '
    run2 bad.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=1
	rc=0
	rc=1
	rc=1
	rc=1
	still-serving
	rc=0
	2 COMPLETED 
	4 FAILED exec
	EOF
    test_cmp expected out &&
    test_grep "^fluxs-run: ƒ[^:]*: exception type=exec: .*cpu-affinity.*bogus" err &&
    test_grep "^fluxs-run: ƒ[^:]*: exception type=exec: .*nodir/out.txt" err &&
    test_grep "^fluxs-run: ƒ[^:]*: exception type=exec: .*cannot change to directory /no/such/dir" err &&
    test_grep "^fluxs-run: ƒ[^:]*: exception type=exec: .*cannot open input file $PWD/nosuch.in" err &&
    ! grep "command not found" err
'

cat >attachopts.sh <<'EOF'
id=$(fluxs submit sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done')
fluxs job wait-event -q -t 30s "$id" clean
fluxs job attach --tail=3 "$id"; echo rc=$?
fluxs job attach --tail "$id" | wc -l
fluxs job attach -E "$id" 2>events >/dev/null; echo rc=$?
fluxs job attach -u -i 0 "$id" | wc -l
fluxs job attach --tail=-1 "$id" 2>/dev/null; echo rc=$?
EOF
test_expect_success 'fluxs job attach --tail[=N] prints the last lines, -E the events; -i and -u are taken' '
    run2 attachopts.sh >out 2>err &&
    cat >expected <<-\EOF &&
	line10
	line11
	line12
	rc=0
	10
	rc=0
	12
	rc=2
	EOF
    test_cmp expected out &&
    test_grep "^0\.000s: job\.submit {" events &&
    test_grep "^[0-9]*\.[0-9][0-9][0-9]s: job\.finish {\"status\":0}$" events &&
    test_grep "^[0-9]*\.[0-9][0-9][0-9]s: job\.clean" events
'

cat >manylines.sh <<'EOF'
fluxs run python3 -c "import os
for i in range(50000): os.write(1, b'%d\\n' % i)" >many.out
fluxs run -N2 -n2 --label-io python3 -c "import os
for i in range(20000): os.write(1, b'%d\\n' % i)" >labelled.out
EOF
test_expect_success 'a job writing line by line: every line comes to fluxs run once, in order (the attach follows the output by its appends)' '
    run2 manylines.sh &&
    seq 0 49999 >expected &&
    test_cmp expected many.out &&
    grep "^0: " labelled.out | sed "s/^0: //" >rank0 &&
    grep "^1: " labelled.out | sed "s/^1: //" >rank1 &&
    seq 0 19999 >expected &&
    test_cmp expected rank0 &&
    test_cmp expected rank1
'

test_done
