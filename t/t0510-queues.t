#!/usr/bin/env bash
test_description='named queues: routing by property, enable/disable, start/stop, drain'
. "$(dirname "$0")/lib/test-lib.sh"

# Two nodes, one per queue: rank 0 has property batch, rank 1 debug.
echo '{"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-1"}}],"nodelist":["vm,vm"],"properties":{"batch":"0","debug":"1"},"starttime":0,"expiration":0}}' >R.json
QUEUES="-Sresource.path=$PWD/R.json -Sresource.noverify=1 -Squeues=batch:batch,debug:debug"
T=--setattr=system.exec.test.run_duration=0.3s
export T

test_expect_success 'queue list shows the queues, the first is the default' '
    fluxs start --test-size=2 $QUEUES fluxs queue list >out &&
    test_grep "^batch\*  *✔  *✔  *0  *0  *batch$" out &&
    test_grep "^debug  *✔  *✔  *0  *0  *debug$" out
'
test_expect_success 'a job goes to the nodes of its queue; the default queue is used without -q' '
    fluxs start --test-size=2 $QUEUES bash -c "
        a=\$(fluxs submit \$T true); b=\$(fluxs submit -q debug \$T true)
        fluxs job wait \$a && fluxs job wait \$b
        fluxs job info \$a R >a.R; fluxs job info \$b R >b.R
    " &&
    test_grep "\"rank\":\"0\".*\"batch\":\"0\"" a.R &&
    test_grep "\"rank\":\"1\".*\"debug\":\"1\"" b.R
'
test_expect_success 'unknown queues and disabled queues are refused with the reason' '
    fluxs start --test-size=2 $QUEUES bash -c "
        fluxs submit -q nope \$T true; echo rc=\$?
        fluxs queue disable -m maintenance debug
        fluxs submit -q debug \$T true; echo rc=\$?
        fluxs queue enable debug && fluxs submit -q debug \$T true >/dev/null && echo enabled-ok
    " >out 2>&1 &&
    test_grep "^fluxs-submit: error: unknown queue \"nope\" (queues: batch, debug)$" out &&
    test_grep "^fluxs-submit: error: queue debug is disabled: maintenance$" out &&
    test $(grep -c "^rc=1$" out) -eq 2 &&
    test_grep "^enabled-ok$" out
'
test_expect_success 'a stopped queue keeps its jobs pending; start schedules them; drain waits' '
    fluxs start --test-size=2 $QUEUES bash -c "
        fluxs queue stop -m later batch
        id=\$(fluxs submit \$T true); sleep 0.5
        fluxs jobs -n -o \"{state}\" \$id
        fluxs queue status batch
        fluxs queue start batch
        fluxs queue drain -t 10s && echo drained
        fluxs jobs -a -n -o \"{status}\" \$id
    " >out 2>&1 &&
    test_grep "^SCHED$" out &&
    test_grep "^batch: Scheduling is stopped: later$" out &&
    test_grep "^drained$" out &&
    test_grep "^COMPLETED$" out
'
test_expect_success 'enable/disable/start/stop print the new status unless --quiet; start/stop need a queue or --all' '
    fluxs start --test-size=2 $QUEUES bash -c "
        fluxs queue stop; echo rc=\$?
        fluxs queue start; echo rc=\$?
        fluxs queue stop -m later debug
        fluxs queue stop --all
        fluxs queue start -q batch
        fluxs queue start --all --quiet
        fluxs queue disable debug
        fluxs queue status debug
        fluxs queue enable
        fluxs queue disable --quiet -m closed batch
        fluxs queue enable --quiet batch
        fluxs queue start -q batch debug; echo rc=\$?
    " >out 2>&1 &&
    cat >expected <<-\EOF &&
	fluxs-queue: error: Named queues are defined. Specify queues or use --all.
	rc=1
	fluxs-queue: error: Named queues are defined. Specify queues or use --all.
	rc=1
	debug: Scheduling is stopped: later
	batch: Scheduling is stopped
	debug: Scheduling is stopped
	batch: Scheduling is started
	debug: Job submission is disabled: disabled by administrator
	debug: Job submission is disabled: disabled by administrator
	debug: Scheduling is started
	batch: Job submission is enabled
	debug: Job submission is enabled
	EOF
    head -n 13 out >head &&
    test_cmp expected head &&
    test_grep "error: Conflicting queues specified as --queue=batch and debug" out &&
    test_grep "^rc=2$" out
'
test_expect_success 'without queues configured: the anonymous queue; a queue named at submit is ignored, as in Flux' '
    fluxs start bash -c "fluxs job wait \$(fluxs submit -q debug \$T true)" &&
    fluxs start fluxs queue list >out &&
    test $(wc -l <out) -eq 2 &&
    test_grep "^ *✔  *✔  *0  *0  *-$" out &&
    fluxs start fluxs queue stop &&
    test_expect_code 1 fluxs start fluxs queue stop debug 2>err &&
    test_grep "^fluxs-queue: error: no queues are configured" err
'
test_done
