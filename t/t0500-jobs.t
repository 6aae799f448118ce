#!/usr/bin/env bash
test_description='jobs: submit, list, events, urgency, cancel, dependencies, errors, restart'
. "$(dirname "$0")/lib/test-lib.sh"

# Most jobs here run in the exec test mode: no process, finish after run_duration with
# status 0 (t0600-exec.t runs real ones).
T=--setattr=system.exec.test.run_duration=0.1s
export T

# jobs_run SCRIPT [START OPTIONS]: runs the bash script SCRIPT as the initial program
# of an instance of two brokers.
jobs_run() {
    local script=$1
    shift
    fluxs start --test-size=2 "$@" bash "$script"
}

# field JOB FORMAT: one job's fields, formatted by the job manager, without a header.
field() { fluxs jobs -n -o "$2" "$1"; }
export -f field

# Each test's script is written here, before the test, so that it may quote freely.

cat >lifecycle.sh <<'EOF'
set -e
id=$(fluxs submit $T true)
echo "$id" >id
fluxs job wait-event -q -t 30s "$id" clean
field "$id" "{state} {result} {returncode}"
fluxs job eventlog "$id" | awk '{print $2}' | tr '\n' ' '; echo
fluxs jobs -a >listing
fluxs job status "$id" && echo status=$?
fluxs job wait "$id" && echo wait=$?
test "$(fluxs job last)" = "$id"
# Any id form is accepted.
dec=$(fluxs job id "$id")
test "$(fluxs job info "$dec" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"state\"])")" = INACTIVE
fluxs job info "$(fluxs job id --to=dothex "$id")" jobspec | python3 -c "import json,sys; print(json.load(sys.stdin)[\"tasks\"][0][\"command\"])"
fluxs job wait-event -t 5s "$id" finish | awk '{print $2, $3}'
fluxs job eventlog -H "$id" | sed -n "1s/^\[[A-Z][a-z][a-z][0-9][0-9] [0-9][0-9]:[0-9][0-9]\] submit .*/human-first-ok/p; 2s/^\[ *+[0-9]*\.[0-9]\{6\}\] validate/human-next-ok/p"
EOF
test_expect_success 'submit: a test-mode job goes through every event to INACTIVE COMPLETED' '
    jobs_run lifecycle.sh >out 2>err &&
    cat >expected <<-\EOF &&
	INACTIVE COMPLETED 0
	submit validate depend priority alloc start finish release free clean 
	status=0
	wait=0
	['"'"'true'"'"']
	finish status=0
	human-first-ok
	human-next-ok
	EOF
    test_cmp expected out &&
    id=$(cat id) &&
    case $id in ƒ*) ;; *) echo "not an f58 id: $id"; false ;; esac &&
    grep -E "^ *JOBID +USER +NAME +ST +NTASKS +NNODES +TIME +INFO$" listing &&
    grep -E "^ *$id +[^ ]+ +true +CD +1 +[0-9]+ " listing
'

cat >options.sh <<'EOF'
set -e
fluxs submit --quiet $T true >quiet
test ! -s quiet
fluxs submit --cc=0-2 --job-name="j{cc}" $T echo "{cc}" >ids
test "$(wc -l <ids)" -eq 3
for id in $(cat ids); do fluxs job wait-event -q -t 30s "$id" clean; done
fluxs jobs -a -n -o "{name}" $(cat ids) | sort | tr '\n' ' '; echo
for id in $(cat ids); do fluxs job info "$id" jobspec; done |
    python3 -c "import json,sys; [print(json.loads(l)[\"tasks\"][0][\"command\"][1], json.loads(l)[\"attributes\"][\"system\"][\"environment\"][\"FLUXS_JOB_CC\"]) for l in sys.stdin]"
id=$(fluxs submit --urgency=expedite --begin-time=+1h $T true)
field "$id" "{state} {urgency}"
fluxs job info "$id" jobspec | python3 -c "import json,sys; print(json.load(sys.stdin)[\"attributes\"][\"system\"][\"dependencies\"][0][\"scheme\"])"
fluxs jobs -n -o "{id.f58}" --json "$id" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"state\"])"
fluxs cancel "$id"
EOF
test_expect_success 'submit --quiet, --cc (one job per index, {cc} replaced), --urgency, --begin-time' '
    jobs_run options.sh >out 2>err &&
    cat >expected <<-\EOF &&
	j0 j1 j2 
	0 0
	1 1
	2 2
	DEPEND 31
	begin-time
	DEPEND
	EOF
    test_cmp expected out
'

cat >hold.sh <<'EOF'
set -e
id=$(fluxs submit --urgency=hold $T true)
sleep 0.5
field "$id" "{state} {priority} {urgency} {contextual_info}"
fluxs job eventlog "$id" | grep -c " alloc" || true
fluxs job release "$id"
fluxs job wait-event -q -t 30s "$id" clean
field "$id" "{result} {urgency}"
# A pending job (waiting for its begin time) held, then canceled.
id2=$(fluxs submit --begin-time=+1h $T true)
fluxs job hold "$id2"
field "$id2" "{state} {urgency}"
fluxs job urgency -v "$id2" expedite | sed "s/^[^:]*:/ID:/"
fluxs job hold "$id2"
fluxs cancel -m "not today" "$id2"
fluxs job wait-event -q -t 30s "$id2" clean
field "$id2" "{result} {exception.type} {exception.note}"
# A held job in SCHED, canceled.
id3=$(fluxs submit --urgency=hold $T true)
fluxs cancel "$id3"
fluxs job status "$id3" || echo status=$?
fluxs job status -e 7 "$id3" || echo status=$?
field "$id3" "{result}"
EOF
test_expect_success 'hold keeps a job pending with priority 0, release runs it; cancel of pending and held jobs' '
    jobs_run hold.sh >out 2>err &&
    cat >expected <<-\EOF &&
	SCHED 0 0 held
	0
	COMPLETED 16
	DEPEND 0
	ID: urgency changed from 0 to 31
	CANCELED cancel not today
	status=1
	status=7
	CANCELED
	EOF
    test_cmp expected out
'

cat >cancelall.sh <<'EOF'
set -e
for i in 1 2 3; do fluxs submit --begin-time=+1h $T true >/dev/null; done
fluxs submit --urgency=hold $T true >/dev/null
fluxs cancel --all --dry-run 2>&1
fluxs cancel --states=depend 2>&1
fluxs cancel --all 2>&1
fluxs cancel --all 2>&1
fluxs cancel --all -q 2>&1
fluxs jobs -n | wc -l
fluxs jobs -a -n -o "{result}" | sort | uniq -c | awk '{print $1, $2}'
EOF
test_expect_success 'cancel --all and --states count what they cancel' '
    jobs_run cancelall.sh >out 2>err &&
    cat >expected <<-\EOF &&
	fluxs-cancel: Would cancel 4 jobs
	fluxs-cancel: Canceled 3 jobs
	fluxs-cancel: Canceled 1 job
	fluxs-cancel: Canceled 0 jobs
	0
	4 CANCELED
	EOF
    test_cmp expected out
'

cat >deps.sh <<'EOF'
set -e
first=$(fluxs submit --setattr=system.exec.test.run_duration=1s true)
second=$(fluxs submit --dependency=afterok:"$first" $T true)
field "$second" "{state} {dependencies}" | sed "s/=.*/=ID/"
fluxs job wait-event -q -t 30s "$second" clean
field "$second" "{result}"
# The second started only after the first had finished.
fin=$(fluxs job wait-event -t 5s "$first" finish | cut -d" " -f1)
start=$(fluxs job wait-event -t 5s "$second" start | cut -d" " -f1)
awk -v a="$fin" -v b="$start" "BEGIN { exit !(b >= a) }" && echo ordered
# afterok on a job that fails: the dependent job ends with a dependency exception.
bad=$(fluxs submit false)
fluxs job wait-event -q -t 30s "$bad" clean
field "$bad" "{result}"
fluxs job status "$bad" || echo status=$?
fluxs job wait "$bad" 2>&1 || echo wait=$?
dep=$(fluxs submit --dependency=afterok:"$bad" $T true)
fluxs job wait-event -q -t 30s "$dep" clean
field "$dep" "{result} {exception.type}"
fluxs job wait-event -t 5s -m type=dependency "$dep" exception | grep -c "can never be satisfied"
# afterany runs whatever the result.
any=$(fluxs submit --dependency=afterany:"$bad" $T true)
fluxs job wait-event -q -t 30s "$any" clean
field "$any" "{result}"
# An unknown scheme is refused at submission.
fluxs submit --dependency=before:"$bad" true 2>&1 || echo submit=$?
EOF
test_expect_success 'dependencies: afterok waits for the first job; afterok on a failed job is an exception' '
    jobs_run deps.sh >out 2>err &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" out >out.ids &&
    cat >expected <<-\EOF &&
	DEPEND afterok=ID
	COMPLETED
	ordered
	FAILED
	status=1
	fluxs-job: error: ID: exited with exit code 1
	wait=1
	FAILED dependency
	1
	COMPLETED
	fluxs-submit: error: dependency scheme "before" is not supported
	submit=1
	EOF
    test_cmp expected out.ids
'

cat >errors.sh <<'EOF'
exec 2>&1
fluxs job eventlog 12x; echo rc=$?
fluxs job hold 12x; echo rc=$?
fluxs cancel 12x; echo rc=$?
fluxs jobs 12x; echo rc=$?
fluxs job eventlog 1234; echo rc=$?
fluxs job info 1234 jobspec; echo rc=$?
fluxs job wait-event -t 1s 1234 start; echo rc=$?
fluxs cancel 1234; echo rc=$?
fluxs job urgency 1234 hold; echo rc=$?
fluxs job wait 1234; echo rc=$?
fluxs job urgency 1234 32; echo rc=$?
fluxs jobs -n 1234; echo rc=$?
# Several ids: each refused job is reported, the others are done.
id=$(fluxs submit --begin-time=+1h $T true)
fluxs job hold 1234 "$id" 1235; echo rc=$?
fluxs jobs -n -o "{urgency}" "$id"
# A job that never reaches the event: wait-event times out, or sees the log end.
fluxs job wait-event -t 0.3s "$id" start; echo rc=$?
fluxs job kill "$id"; echo rc=$?
fluxs cancel "$id"; echo rc=$?
fluxs cancel "$id"; echo rc=$?
fluxs job wait-event -t 10s "$id" start; echo rc=$?
fluxs job wait 2>&1; echo rc=$?
EOF
test_expect_success 'malformed and unknown ids, timeouts and refused requests give clear errors' '
    jobs_run errors.sh >out 2>err &&
    sed -e "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" -e "s/^Usage: .*//; /^  See /d; /^$/d" out >out.ids &&
    cat >expected <<-\EOF &&
	fluxs-job: error: job id "12x": not a valid job id
	rc=1
	fluxs-job: error: job id "12x": not a valid job id
	rc=1
	fluxs-cancel: error: job id "12x": not a valid job id
	rc=1
	fluxs-jobs: error: job id "12x": not a valid job id
	rc=1
	fluxs-job: error: unknown job id ID
	rc=1
	fluxs-job: error: unknown job id ID
	rc=1
	fluxs-job: error: unknown job id ID
	rc=1
	fluxs-cancel: error: ID: unknown job id
	rc=1
	fluxs-job: error: ID: unknown job id
	rc=1
	fluxs-job: error: unknown job id ID
	rc=2
	fluxs-job: error: urgency "32": must be 0-31, hold, default or expedite
	rc=2
	fluxs-jobs: error: unknown job id ID
	rc=1
	fluxs-job: error: ID: unknown job id
	fluxs-job: error: ID: unknown job id
	rc=1
	0
	fluxs-job: error: timed out after 0.3s waiting for event "start" of job ID
	rc=1
	fluxs-job: error: job ID is not running
	rc=1
	rc=0
	fluxs-cancel: error: ID: job is inactive
	rc=1
	fluxs-job: error: job ID ended (clean) without event "start"
	rc=1
	ID
	fluxs-job: error: ID: cancel
	rc=1
	EOF
    test_cmp expected out.ids
'

cat >badspec.sh <<'EOF'
exec 2>&1
fluxs submit -n0 true; echo rc=$?
fluxs submit -S duration=soon true; echo rc=$?
# A jobspec only the job manager sees: its validator names every problem.
fluxs_raw rpc job-manager.submit '{"jobspec": {"version": 1, "resources": [], "tasks": []}}'; echo rc=$?
fluxs jobs -a -n | wc -l
fluxs jobs -o "{nosuchfield}"; echo rc=$?
fluxs jobs -f nosuchstate; echo rc=$?
EOF
test_expect_success 'bad jobspecs are refused with the validator'"'"'s message, and no job is made' '
    jobs_run badspec.sh >out 2>err &&
    test_grep "^fluxs-submit: error: .*task count (-n) must be >= 1 (got 0)" out &&
    test_grep "^fluxs-submit: error: .*attributes.system.duration" out &&
    test_grep "^errnum [0-9]*: .*resources" out &&
    test "$(grep -c "^rc=1$" out)" -eq 5 &&
    test_grep "^0$" out &&
    test_grep "^fluxs-jobs: error: .*nosuchfield" out &&
    test_grep "^fluxs-jobs: error: .*nosuchstate" out
'

cat >widen.sh <<'EOF'
set -e
a=$(fluxs submit --job-name=a --setattr=system.exec.test.run_duration=0s true)
b=$(fluxs submit --job-name=averyveryverylongname --setattr=system.exec.test.run_duration=0s true)
fluxs job wait-event -q -t 20s "$b" clean
fluxs job wait-event -q -t 20s "$a" clean
fluxs jobs -a -o "+:{name:<2}|?+:{queue:<2}|{result}" "$a" "$b"
fluxs jobs -a -n -o "+:{name:<2}|" "$a"
EOF
test_expect_success 'jobs -o: +: widens a column to its widest value and heading, ?+: also drops a blank one' '
    jobs_run widen.sh >out 2>err &&
    cat >expected <<-\EOF &&
	NAME                 ||RESULT
	a                    ||COMPLETED
	averyveryverylongname||COMPLETED
	a |
	EOF
    test_cmp expected out
'

cat >follow.sh <<'EOF'
exec 2>&1
set -e
id=$(fluxs submit --setattr=system.exec.test.run_duration=0.5s true)
fluxs job eventlog -F "$id" | awk '{print $2}' | tr '\n' ' '; echo
fluxs job eventlog -f json "$id" | head -1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])"
fluxs job wait-event -v -t 5s "$id" start | awk '{print $2}' | tr '\n' ' '; echo
fluxs job wait-event -f json -t 5s "$id" start | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])"
fluxs job eventlog --follow --format=json "$id" | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])"
fluxs job last 1 | wc -l
# A running job killed by a signal: its status is 128 + the signal number.
k=$(fluxs submit --setattr=system.exec.test.run_duration=30s true)
fluxs job wait-event -q -t 10s "$k" start
fluxs job kill -s INT "$k"
fluxs job status "$k" || echo status=$?
field "$k" "{result}"
fluxs job purge --num-limit=0
fluxs job purge --num-limit=1 "$id" 2>err.purge || echo purge=$?
fluxs job purge "$id"
fluxs job purge --num-limit=1 --force
fluxs job purge -f --num-limit=0
fluxs jobs -a -n | wc -l
fluxs job eventlog "$id" 2>&1 || true
EOF
test_expect_success 'eventlog -F follows to clean; -f json lines; kill; purge -f forgets inactive jobs, purge alone counts' '
    jobs_run follow.sh >out 2>err &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" out >out.ids &&
    cat >expected <<-\EOF &&
	submit validate depend priority alloc start finish release free clean 
	submit
	submit validate depend priority alloc start 
	start
	clean
	1
	status=130
	FAILED
	use --force to purge 2 of 2 inactive jobs
	purge=2
	use --force to purge 1 of 2 inactive jobs
	purged 1 inactive jobs, 1 remaining
	purged 1 inactive jobs, 0 remaining
	0
	fluxs-job: error: unknown job id ID
	EOF
    test_cmp expected out.ids &&
    test_grep "^fluxs-job: error: job ids and --age-limit or --num-limit exclude each other" err.purge
'

cat >persist1.sh <<'EOF'
set -e
ok=$(fluxs submit $T true)
fluxs job wait-event -q -t 30s "$ok" clean
gone=$(fluxs submit --begin-time=+1h $T true)
fluxs cancel "$gone"
fluxs job wait-event -q -t 30s "$gone" clean
fluxs jobs -a -n -o "{id.f58} {result}" | sort
EOF
cat >persist2.sh <<'EOF'
set -e
fluxs jobs -a -n -o "{id.f58} {result}" | sort
fluxs jobs -a | head -1
EOF
test_expect_success 'a restart on the same statedir keeps the inactive jobs listed' '
    mkdir state &&
    jobs_run persist1.sh -Sstatedir="$PWD/state" >first &&
    test "$(wc -l <first)" -eq 2 &&
    jobs_run persist2.sh -Sstatedir="$PWD/state" >second &&
    head -2 second >second.jobs &&
    test_cmp first second.jobs &&
    grep -E "^ *JOBID +USER +NAME +ST" second
'

test_expect_success 'a running job that loses a rank ends with a node-failure exception' '
    cat >lost.sh <<-\EOF &&
	id=$(fluxs submit -N3 --setattr=system.exec.test.run_duration=60s true)
	fluxs job wait-event -t 10 $id start || exit 1
	pid=$($FLUXS_RAW rpc --rank 2 attr.get "{\"name\":\"broker.pid\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"value\"])")
	kill -9 $pid
	fluxs job wait-event -t 20 $id clean || exit 1
	fluxs job eventlog $id
	fluxs jobs -a -n -o "{status}"
	EOF
    fluxs start --test-size=3 -Stbon.timeout=2s bash lost.sh >out 2>&1 &&
    test_grep "node-failure" out &&
    test_grep "lost rank 2" out &&
    test_grep "^FAILED$" out
'

test_expect_success 'a request the instance can never satisfy is refused at submit' '
    fluxs start --test-size=2 bash -c "
        fluxs submit -N3 true; echo rc=\$?
        fluxs submit -n1 -c64 true; echo rc=\$?
        fluxs jobs -a -n | wc -l
    " >out 2>&1 &&
    test_grep "^fluxs-submit: error: unsatisfiable request: requests 3 nodes; the instance has 2$" out &&
    test_grep "^fluxs-submit: error: unsatisfiable request: a slot needs 64 cores; the largest node has" out &&
    test $(grep -c "^rc=1$" out) -eq 2 &&
    test "$(tail -1 out | tr -d " ")" = 0
'

test_expect_success 'a pending job says when it should start; urgency changes reach the scheduler' '
    fluxs start bash -c "
        T=--setattr=system.exec.test.run_duration=30s
        a=\$(fluxs submit \$T -n\$(nproc) -t 10m true)
        b=\$(fluxs submit \$T -n1 true); c=\$(fluxs submit \$T -n1 true)
        sleep 0.3
        fluxs jobs -n -o \"{id.f58} {contextual_info}\" \$b
        fluxs job urgency \$c 31
        fluxs jobs -n -o \"{id.f58} {priority}\" \$c
        fluxs dmesg | grep -c prioritize || true
    " >out 2>&1 &&
    test_grep "eta:" out &&
    test_grep "4294967295" out
'

test_expect_success 'a job only drained nodes could run waits and says so' '
    fluxs start --test-size=2 bash -c "
        fluxs resource drain 1 maintenance
        id=\$(fluxs submit --setattr=system.exec.test.run_duration=0.1s -N2 true); sleep 0.3
        fluxs jobs -n -o \"{state} {contextual_info}\" \$id
        fluxs resource undrain 1
        fluxs job wait \$id && echo ran
    " >out 2>&1 &&
    test_grep "^SCHED only down or drained nodes could run it$" out &&
    test_grep "^ran$" out
'

test_expect_success 'a jobspec over the size limit is refused, and nothing is made' '
    fluxs start -Sjob-manager.max-jobspec-size=2000 bash -c "
        fluxs submit --env=BIG=\$(printf %3000s x) true; echo rc=\$?
        fluxs jobs -a -n | wc -l
    " >out 2>&1 &&
    test_grep "^fluxs-submit: error: the jobspec is [0-9]* bytes; the limit is 2000 (job-manager.max-jobspec-size)$" out &&
    test_grep "^rc=1$" out &&
    test "$(tail -1 out | tr -d " ")" = 0
'

test_expect_success 'resource list shows what running jobs hold as allocated' '
    fluxs start --test-size=2 bash -c "
        id=\$(fluxs submit --setattr=system.exec.test.run_duration=30s -n3 true)
        fluxs job wait-event -t 10 \$id start >/dev/null
        fluxs resource list -n -o \"{state} {nnodes} {ncores}\"
        fluxs cancel \$id; fluxs job wait \$id; sleep 0.2
        fluxs resource list -n -s allocated -o \"{state} {nnodes} {ncores}\"
    " >out 2>&1 &&
    test_grep "^free 1 1$" out &&
    test_grep "^allocated 2 3$" out &&
    test_grep "^allocated 0 0$" out
'

test_expect_success 'inactive jobs are purged by the count limit' '
    fluxs start -Sjob-manager.inactive-num-limit=2 bash -c "
        for i in 1 2 3 4; do id=\$(fluxs submit --setattr=system.exec.test.run_duration=0 true) && fluxs job wait \$id || exit 1; done
        fluxs jobs -a -n | wc -l
    " >out &&
    test "$(tail -1 out | tr -d " ")" = 2
'

cat >stats.sh <<'EOF'
set -e
fluxs jobs --stats-only || echo empty=$?
a=$(fluxs submit --job-name=first -q batch --setattr=system.exec.test.run_duration=0s true)
fluxs job wait-event -q -t 20s "$a" clean
held=$(fluxs submit --job-name=second -q debug --urgency=0 $T true)
long=$(fluxs submit --job-name=third -q batch --setattr=system.exec.test.run_duration=60s true)
fluxs job wait-event -q -t 20s "$long" start
fluxs jobs --stats-only && echo active=$?
fluxs jobs --stats-only -q debug
fluxs jobs -a -n --name=second -o "{name}"
fluxs jobs -a -n -q batch -o "{name}" | tr '\n' ' '; echo
fluxs jobs -a -n -q batch -q debug -o "{name}" | wc -l
fluxs jobs -a -n -q batch,debug -o "{name}" | wc -l
fluxs jobs -a -n -i 0 -o "{name}" | tr '\n' ' '; echo
fluxs jobs -a -n -i 1 -o "{name}" | wc -l
fluxs jobs -a -n -i vm -o "{name}" | wc -l
fluxs jobs -a -n -i "nohost[1-2]" -o "{name}" | wc -l
fluxs jobs -a --name=first -w 6 -o "{name:<10}|{result}"
fluxs jobs -a -n --name=first -w -o "{name}|{result}"
fluxs jobs -a -n --name=first --width=-1 -o "{name}|{result}"
fluxs jobs -a -i "bad[" 2>&1 || echo include=$?
fluxs jobs --json --stats 2>&1 || echo json=$?
fluxs cancel "$held" "$long"
fluxs job wait-event -q -t 20s "$held" clean
fluxs job wait-event -q -t 20s "$long" clean
fluxs jobs --stats -a -n -o "{name}" --name=first
fluxs job purge -f --num-limit=1 >/dev/null
fluxs jobs --stats-only || echo none=$?
EOF
test_expect_success 'jobs --stats, --stats-only (exit 1 with no active job), --name, -q, -i, -w' '
    echo "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-1\",\"children\":{\"core\":\"0-1\"}}],\"nodelist\":[\"vm,vm\"],\"properties\":{\"batch\":\"0\",\"debug\":\"1\"},\"starttime\":0,\"expiration\":0}}" >R.json &&
    jobs_run stats.sh -Sresource.path=$PWD/R.json -Sresource.noverify=1 -Squeues=batch:batch,debug:debug >out 2>err &&
    cat >expected <<-\EOF &&
	0 running, 0 completed, 0 failed, 0 pending, 0 inactive purged
	empty=1
	1 running, 1 completed, 0 failed, 1 pending, 0 inactive purged
	active=0
	0 running, 0 completed, 0 failed, 1 pending, 0 inactive purged
	second
	third first 
	3
	3
	third first 
	0
	2
	0
	NAME  
	first 
	first|COMPLETED
	first|COMPLETED
	fluxs-jobs: error: -i/--include: invalid targets: bad[
	include=1
	fluxs-jobs: error: --json incompatible with --stats or --stats-only
	json=1
	0 running, 1 completed, 2 failed, 0 pending, 0 inactive purged
	first
	0 running, 0 completed, 1 failed, 0 pending, 2 inactive purged
	none=1
	EOF
    test_cmp expected out
'

test_done
