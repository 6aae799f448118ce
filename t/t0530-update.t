#!/usr/bin/env bash
test_description='fluxs update: duration (absolute and relative), queue, name and urgency of pending jobs, a running job'"'"'s duration and time limit, all-or-nothing refusals, guests, and updates kept across a restart'
# The guests' test acts as other uids: a trash directory and programs they can reach.
FLUXS_TEST_OTHER_UIDS=t
. "$(dirname "$0")/lib/test-lib.sh"

# Jobs run in the exec test mode unless they must really sleep: no process, "finish"
# after run_duration. Jobs are held pending by a held urgency, a stopped queue, or a
# job holding the only core, never by sleeping.
T=--setattr=system.exec.test.run_duration=0.2s
export T

# One node with one core, so that a second job waits for the first.
echo '{"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],"nodelist":["vm"],"starttime":0,"expiration":0}}' >one.json
ONE="-Sresource.path=$PWD/one.json -Sresource.noverify=1"
# Two nodes, one per queue: rank 0 has property batch, rank 1 debug.
echo '{"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-1"}}],"nodelist":["vm,vm"],"properties":{"batch":"0","debug":"1"},"starttime":0,"expiration":0}}' >two.json
QUEUES="-Sresource.path=$PWD/two.json -Sresource.noverify=1 -Squeues=batch:batch,debug:debug"

# ids FILE: FILE with job ids replaced by ID.
ids() { sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" "$1"; }

cat >pending.sh <<'EOF'
exec 2>&1
# A job holds the only core, so that the job updated stays pending when released.
a=$(fluxs submit --setattr=system.exec.test.run_duration=60s true)
fluxs job wait-event -q -t 10s $a alloc
id=$(fluxs submit --urgency=hold -t 10m --job-name=first $T true)
fluxs update $id duration=20m name=second; echo rc=$?
fluxs jobs -n -o "{name} {duration} {state}" $id
fluxs update $id duration=+5m; echo rc=$?
fluxs update $id attributes.system.duration=-15m; echo rc=$?
fluxs jobs -n -o "{duration}" $id
fluxs update -v $id urgency=7 attributes.system.job.name=third; echo rc=$?
fluxs jobs -n -o "{name} {urgency} {priority} {state}" $id
fluxs job eventlog $id | awk '{print $2, $3}' | tail -4
fluxs job info $id jobspec | python3 -c "import json,sys; j=json.load(sys.stdin)[\"attributes\"][\"system\"]; print(j[\"duration\"], j[\"job\"][\"name\"])"
fluxs update $id duration=inf; echo rc=$?
fluxs jobs -n -o "{duration}" $id
fluxs cancel $a
fluxs job wait $id; echo wait=$?
fluxs update $id duration=1m; echo rc=$?
EOF
test_expect_success 'a pending job: duration (absolute, +, -, inf), name and urgency, in the eventlog, the listing and the jobspec' '
    fluxs start $ONE bash pending.sh >out &&
    ids out >out.ids &&
    cat >expected <<-\EOF &&
	rc=0
	second 1200.0 SCHED
	rc=0
	rc=0
	600.0
	updated urgency to 7
	updated attributes.system.job.name to "third"
	rc=0
	third 7 7 SCHED
	priority priority=0
	jobspec-update attributes.system.job.name="third"
	urgency urgency=7
	priority priority=7
	600 third
	rc=0
	0.0
	wait=0
	fluxs-update: error: ID: job is inactive
	rc=1
	EOF
    test_cmp expected out.ids
'

cat >withdrawn.sh <<'EOF'
exec 2>&1
a=$(fluxs submit --setattr=system.exec.test.run_duration=60s true)
fluxs job wait-event -q -t 10s $a alloc
b=$(fluxs submit -t 1m $T true)
fluxs job wait-event -q -t 10s $b priority
fluxs update $b duration=5m; echo rc=$?
fluxs job eventlog $b | awk '{print $2}' | tr '\n' ' '; echo
fluxs cancel $a
fluxs job wait $b; echo wait=$?
fluxs job info $b R | python3 -c "import json,sys; e=json.load(sys.stdin)[\"execution\"]; print(round(e[\"expiration\"] - e[\"starttime\"]))"
EOF
test_expect_success 'a job waiting for resources has its request withdrawn and made again with the new duration' '
    fluxs start $ONE bash withdrawn.sh >out &&
    cat >expected <<-\EOF &&
	rc=0
	submit validate depend priority jobspec-update priority 
	wait=0
	300
	EOF
    test_cmp expected out
'

cat >queue.sh <<'EOF'
exec 2>&1
fluxs queue stop --quiet batch
id=$(fluxs submit -q batch $T true)
fluxs update $id queue=batch; echo same=$?
fluxs update $id queue=nope; echo unknown=$?
fluxs queue disable --quiet -m closed debug
fluxs update $id queue=debug; echo disabled=$?
fluxs queue enable --quiet debug
fluxs update --wait $id queue=debug; echo rc=$?
fluxs job wait $id; echo wait=$?
fluxs jobs -a -n -o "{queue} {status}" $id
fluxs job info $id R | python3 -c "import json,sys; print(json.load(sys.stdin)[\"execution\"][\"R_lite\"][0][\"rank\"])"
fluxs job info $id jobspec | python3 -c "import json,sys; s=json.load(sys.stdin)[\"attributes\"][\"system\"]; print(s[\"queue\"], s[\"constraints\"])"
c=$(fluxs submit -q debug --requires=debug --urgency=hold $T true)
fluxs update $c queue=batch; echo constrained=$?
fluxs cancel $c
EOF
test_expect_success 'a pending job moves to another enabled queue and runs on its nodes; bad queues are refused' '
    fluxs start --test-size=2 $QUEUES bash queue.sh >out &&
    ids out >out.ids &&
    cat >expected <<-\EOF &&
	fluxs-update: error: ID: job queue is already set to batch
	same=1
	fluxs-update: error: ID: unknown queue "nope" (queues: batch, debug)
	unknown=1
	fluxs-update: error: ID: queue debug is currently disabled: closed
	disabled=1
	rc=0
	wait=0
	debug COMPLETED
	1
	debug {'"'"'properties'"'"': ['"'"'debug'"'"']}
	fluxs-update: error: ID: job appears to have non-queue constraints, unable to update queue to batch
	constrained=1
	EOF
    test_cmp expected out.ids
'

test_expect_success 'without configured queues a queue update is refused' '
    fluxs start bash -c "id=\$(fluxs submit --urgency=hold \$T true); fluxs update \$id queue=debug; echo rc=\$?" >out 2>&1 &&
    test_grep "^fluxs-update: error: ƒ.*: no queues are configured: the job cannot move to queue \"debug\"$" out &&
    test_grep "^rc=1$" out
'

cat >refusals.sh <<'EOF'
exec 2>&1
id=$(fluxs submit --urgency=hold --job-name=kept -t 1m $T true)
fluxs update $id name=changed urgency=40; echo all-or-nothing=$?
fluxs update $id name=changed nope=1; echo unknown-key=$?
fluxs update $id duration=soon; echo bad-duration=$?
fluxs update $id duration=-2m; echo negative=$?
fluxs update $id urgency=sometime; echo bad-urgency=$?
fluxs jobs -n -o "{name} {duration} {urgency}" $id
fluxs job eventlog $id | grep -c jobspec-update
u=$(fluxs submit --urgency=hold $T true)
fluxs update $u duration=+1m; echo unlimited=$?
fluxs update $u duration=-1m; echo unlimited=$?
fluxs update fAAAAAAAA name=x; echo unknown-job=$?
fluxs update $id; echo no-updates=$?
fluxs update $id name; echo no-equals=$?
fluxs update -n $id name=dry duration=1h; echo dry=$?
fluxs jobs -n -o "{name}" $id
fluxs cancel $id $u
fluxs update $id name=late; echo inactive=$?
EOF
test_expect_success 'refusals: the whole request, exit 1 (2 for bad usage), nothing changed' '
    fluxs start bash refusals.sh >out &&
    ids out | grep -v "^Usage\|^  See" >out.ids &&
    cat >expected <<-\EOF &&
	fluxs-update: error: ID: urgency must be 0-31
	all-or-nothing=1
	fluxs-update: error: ID: update of attributes.system.nope not supported
	unknown-key=1
	fluxs-update: error: duration "soon": not a number
	bad-duration=1
	fluxs-update: error: current duration for ID (1m) cannot be reduced by 2m
	negative=1
	fluxs-update: error: urgency "sometime": must be 0-31, hold, default or expedite
	bad-urgency=1
	kept 60.0 0
	0
	fluxs-update: error: duration for ID is unlimited, can'"'"'t update by +1m
	unlimited=1
	fluxs-update: error: duration for ID is unlimited, can'"'"'t update by -1m
	unlimited=1
	fluxs-update: error: ID: unknown job id
	unknown-job=1
	fluxs-update: error: missing the updates (KEY=VALUE)
	no-updates=2
	fluxs-update: error: "name": expected KEY=VALUE
	no-equals=2
	{"attributes.system.duration":3600,"attributes.system.job.name":"dry"}
	dry=0
	kept
	fluxs-update: error: ID: job is inactive
	inactive=1
	EOF
    test_cmp expected out.ids
'

cat >running.sh <<'EOF'
exec 2>&1
# Lengthened: 4 s (time enough for the update on a loaded machine), then 6 s from its start.
a=$(fluxs submit -t 4s sleep 60)
fluxs job wait-event -q -t 10s $a start
fluxs update $a duration=6s; echo rc=$?
fluxs update $a name=x; echo name=$?
fluxs update $a urgency=3; echo urgency=$?
fluxs update $a duration=0.001s; echo past=$?
fluxs jobs -n -o "{duration} {state}" $a
fluxs job wait $a; echo wait=$?
fluxs job eventlog --format=json $a >a.log
# Shortened: 1 h, then 2 s from its start.
b=$(fluxs submit -t 1h sleep 60)
fluxs job wait-event -q -t 10s $b start
fluxs update $b duration=2s; echo rc=$?
fluxs job wait $b; echo wait=$?
fluxs job eventlog --format=json $b >b.log
fluxs jobs -a -n -o "{status} {duration}" $a $b
EOF
# limit LOG: seconds from alloc to the timeout exception in the eventlog LOG, rounded.
limit() {
    python3 -c '
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
start = next(e["timestamp"] for e in events if e["name"] == "alloc")
exc = next(e for e in events if e["name"] == "exception")
update = next(e for e in events if e["name"] == "resource-update")
print(exc["context"]["type"], round(exc["timestamp"] - start), round(update["context"]["expiration"] - start))
' "$1"
}
test_expect_success 'the instance owner updates a running job'"'"'s duration: it ends by its new limit' '
    fluxs start bash running.sh >out &&
    ids out >out.ids &&
    cat >expected <<-\EOF &&
	rc=0
	fluxs-update: error: ID: update of name for running job not supported
	name=1
	fluxs-update: error: ID: urgency cannot be changed once resources are allocated
	urgency=1
	fluxs-update: error: ID: requested duration places job expiration in the past
	past=1
	6.0 RUN
	fluxs-job: error: ID: timeout: resource allocation expired
	wait=1
	rc=0
	fluxs-job: error: ID: timeout: resource allocation expired
	wait=1
	TIMEOUT 2.0
	TIMEOUT 6.0
	EOF
    sort expected >expected.sorted && sort out.ids >out.sorted &&
    test_cmp expected.sorted out.sorted &&
    limit a.log >a.limit && test_grep "^timeout \([6-9]\|10\) 6$" a.limit &&
    limit b.log >b.limit && test_grep "^timeout [2-6] 2$" b.limit
'

cat >persist1.sh <<'EOF'
exec 2>&1
id=$(fluxs submit --urgency=hold -q batch -t 1m --job-name=before $T true)
echo $id >id
fluxs update $id duration=7m name=after queue=debug
fluxs jobs -n -o "{name} {duration} {queue} {state}" $id
EOF
cat >persist2.sh <<'EOF'
exec 2>&1
id=$(cat id)
fluxs jobs -n -o "{name} {duration} {queue} {state}" $id
fluxs job info $id jobspec | python3 -c "import json,sys; s=json.load(sys.stdin)[\"attributes\"][\"system\"]; print(s[\"duration\"], s[\"queue\"], s[\"job\"][\"name\"])"
fluxs update $id urgency=default
fluxs job wait $id; echo wait=$?
fluxs job info $id R | python3 -c "import json,sys; e=json.load(sys.stdin)[\"execution\"]; print(e[\"R_lite\"][0][\"rank\"], round(e[\"expiration\"] - e[\"starttime\"]))"
EOF
test_expect_success 'a restart on the same statedir keeps the updates (listing, jobspec, scheduling)' '
    mkdir state &&
    fluxs start --test-size=2 $QUEUES -Sstatedir="$PWD/state" bash persist1.sh >first &&
    fluxs start --test-size=2 $QUEUES -Sstatedir="$PWD/state" bash persist2.sh >second &&
    cat >expected <<-\EOF &&
	after 420.0 debug SCHED
	after 420.0 debug SCHED
	420 debug after
	wait=0
	1 420
	EOF
    cat first second >both &&
    test_cmp expected both
'

mkdir -p conf.d && printf "[access]\nallow-guest-user = true\n" >conf.d/access.toml
chmod 755 "$TRASH_DIRECTORY"
G1="setpriv --reuid=65534 --regid=65534 --clear-groups"
G2="setpriv --reuid=65533 --regid=65533 --clear-groups"
export G1 G2
cat >guests.sh <<'EOF'
exec 2>&1
g=$($G1 fluxs submit --urgency=hold -t 1m --job-name=mine $T true)
$G1 fluxs update $g name=renamed duration=2m; echo own=$?
$G2 fluxs update $g name=stolen; echo other=$?
$G1 fluxs update $g urgency=20; echo over16=$?
fluxs update $g duration=3m; echo owner=$?
$G1 fluxs jobs -n -o "{name} {duration}" $g
$G1 fluxs cancel $g
EOF
test_have_prereq ROOT,SETPRIV && test_set_prereq GUESTS
test_expect_success GUESTS 'guests update only their own jobs' '
    (cd "$TRASH_DIRECTORY" && fluxs-broker --config-path="$TRASH_DIRECTORY/conf.d" bash guests.sh) >out &&
    ids out >out.ids &&
    cat >expected <<-\EOF &&
	own=0
	fluxs-update: error: ID: guests may only update their own jobs
	other=1
	fluxs-update: error: ID: guests can only adjust urgency <= 16
	over16=1
	owner=0
	renamed 180.0
	EOF
    test_cmp expected out.ids
'

test_expect_success 'the man page fluxs-update(1) is clean groff' '
    groff -mandoc -z -ww "$SRCDIR/man/man1/fluxs-update.1" 2>err &&
    test ! -s err
'
test_done
