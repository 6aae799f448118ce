#!/usr/bin/env bash
test_description='Flux habits: job wait follows wait(2), queue commands work on the anonymous queue, job ids print one way per locale, a gpu count of 0 is valid jobspec'
. "$(dirname "$0")/lib/test-lib.sh"
test_under_fluxs 1

# go_job FILE: a job that ends once FILE exists (in this directory).
go_job() { fluxs submit sh -c "while [ ! -e $PWD/$1 ]; do sleep 0.05; done"; }

test_expect_success 'job wait --all reaps jobs that ended before it began' '
    fluxs submit --cc=1-5 true >ids &&
    fluxs queue drain &&
    fluxs job wait --all >reaped &&
    sort ids >expected && sort reaped >actual &&
    test_cmp expected actual
'
test_expect_success 'each job is reaped once: nothing is left, --all says 0, a bare wait says 2' '
    fluxs job wait --all >out && test_must_fail test -s out &&
    test_expect_code 2 fluxs job wait 2>err &&
    test_grep "^fluxs-job: error: there are no more jobs to wait for$" err &&
    test_expect_code 2 fluxs job wait $(head -n1 ids) 2>err &&
    test_grep "was already waited for" err
'
test_expect_success 'job wait --all takes ended and active jobs alike, in the order they end' '
    a=$(fluxs submit true) &&
    fluxs job wait-event $a clean >/dev/null &&
    b=$(go_job go1) &&
    fluxs job wait-event $b start >/dev/null &&
    { fluxs job wait --all >reaped & } &&
    waiter=$! &&
    touch go1 &&
    wait $waiter &&
    printf "%s\n%s\n" $a $b >expected &&
    test_cmp expected reaped
'
test_expect_success 'job wait --all exits 1 when one job failed, and names it' '
    ok=$(fluxs submit true) && bad=$(fluxs submit false) &&
    fluxs queue drain &&
    test_expect_code 1 fluxs job wait --all >reaped 2>err &&
    test $(wc -l <reaped) -eq 2 &&
    test_grep "^fluxs-job: error: $bad: exited with exit code 1$" err
'
test_expect_success 'job status and submit --wait look without reaping; job wait ID then reaps' '
    id=$(fluxs submit --wait true) &&
    fluxs job status $id &&
    fluxs job wait $id &&
    test_expect_code 2 fluxs job wait $id
'
test_expect_success 'a bare job wait waits for the next job to end' '
    id=$(go_job go2) &&
    { fluxs job wait >next & } &&
    waiter=$! &&
    touch go2 &&
    wait $waiter &&
    test "$(cat next)" = "$id"
'

test_expect_success 'queue status on the anonymous queue' '
    fluxs queue status >out &&
    printf "Job submission is enabled\nScheduling is started\n" >expected &&
    test_cmp expected out
'
test_expect_success 'queue stop keeps jobs pending; start schedules them; drain and idle wait for them' '
    fluxs queue stop -m later &&
    fluxs queue status >out &&
    test_grep "^Scheduling is stopped: later$" out &&
    id=$(fluxs submit true) &&
    fluxs job wait-event $id priority >/dev/null &&
    test "$(fluxs jobs -n -o "{state}" $id)" = SCHED &&
    fluxs queue start &&
    fluxs queue drain &&
    test "$(fluxs jobs -n -o "{result}" $id)" = COMPLETED &&
    fluxs queue idle
'
test_expect_success 'queue disable refuses submissions with the reason; enable lets them in again' '
    fluxs queue disable -m maintenance &&
    test_expect_code 1 fluxs submit true 2>err &&
    test_grep "^fluxs-submit: error: job submission is disabled: maintenance$" err &&
    fluxs queue enable &&
    fluxs submit --wait true
'
test_expect_success 'queue commands refuse a queue name where there are none; submit ignores it, as Flux' '
    test_expect_code 1 fluxs queue stop batch 2>err &&
    test_grep "no queues are configured" err &&
    id=$(fluxs submit -q batch true) &&
    fluxs job wait $id &&
    test -z "$(fluxs jobs -n -o "{queue}" $id)"
'

test_expect_success '{id} is the f58 form, {id.dec} the number' '
    id=$(fluxs submit true) &&
    test "$(fluxs jobs -n -o "{id}" $id)" = "$id" &&
    test "$(fluxs jobs -n -o "{id.f58}" $id)" = "$id" &&
    test "$(fluxs jobs -n -o "{id.dec}" $id)" = "$(fluxs job id --to=dec $id)" &&
    case $id in ƒ*) ;; *) false ;; esac
'
test_expect_success 'jobs with ids: the unknown ones are named on stderr, the others listed; exit 1 only when none is' '
    id=$(fluxs submit true) &&
    fluxs job wait $id &&
    fluxs jobs -n -o "{id} {result}" $id ƒ2222222222 >out 2>err &&
    test "$(cat out)" = "$id COMPLETED" &&
    test_grep "^fluxs-jobs: error: unknown job id ƒ2222222222$" err &&
    fluxs jobs --json $id ƒ2222222222 >out 2>err &&
    grep -q "\"result\":\"COMPLETED\"" out &&
    test_expect_code 1 fluxs jobs -n ƒ2222222222 ƒ3333333333 >out 2>err &&
    test ! -s out &&
    test $(grep -c "unknown job id" err) -eq 2
'
test_expect_success 'in a locale without UTF-8 every command prints f, never ƒ' '
    id=$(LC_ALL=C fluxs submit true) &&
    case $id in f*) ;; *) false ;; esac &&
    test "$(LC_ALL=C fluxs jobs -n -o "{id}" $id)" = "$id" &&
    test "$(LC_ALL=C fluxs jobs -n -o "{id.f58}" $id)" = "$id" &&
    LC_ALL=C fluxs jobs -a -n >out &&
    test_must_fail grep ƒ out &&
    test_expect_code 1 env LC_ALL=C fluxs job info 1 2>err &&
    test_must_fail grep ƒ err &&
    test "$(LC_ALL=C fluxs alloc -n1 fluxs getattr jobid)" = "$(LC_ALL=C fluxs jobs -n -c1 -a -o "{id}")"
'

cat >gpu0.json <<'EOF'
{"version": 1, "resources": [{"type": "slot", "count": 1, "label": "task",
  "with": [{"type": "core", "count": 1}, {"type": "gpu", "count": 0}]}],
 "tasks": [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}],
 "attributes": {"system": {"duration": 0}}}
EOF
test_expect_success 'a gpu count of 0 is valid (flux-core allows it) and such a job runs' '
    fluxs jobspec validate gpu0.json &&
    fluxs_raw rpc job-manager.submit "{\"jobspec\": $(cat gpu0.json)}" >out &&
    id=$(sed -n "s/.*\"id\":\([0-9]*\).*/\1/p" out) &&
    fluxs job wait $id
'
test_done
