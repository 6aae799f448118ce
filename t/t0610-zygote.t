#!/usr/bin/env bash
test_description='the shell zygote: one per broker forks the owner'"'"'s shells; job-exec.zygote=off spawns them'
. "$(dirname "$0")/lib/test-lib.sh"

cat >shape.sh <<'EOF'
set -e
id=$(fluxs submit -N2 -n2 sleep 30)
fluxs job wait-event -t 30 $id start >/dev/null
# Wait until both shells have their task.
for rank in 0 1; do
    broker=$(fluxs exec -r $rank fluxs getattr broker.pid)
    while ! pgrep -P $broker -f -- "fluxs-shell --zygote=3" >/dev/null; do sleep 0.05; done
    zygote=$(pgrep -P $broker -f -- "fluxs-shell --zygote=3")
    while ! pgrep -P $zygote -f -- "fluxs-shell --forked" >/dev/null; do sleep 0.05; done
done
for rank in 0 1; do
    broker=$(fluxs exec -r $rank fluxs getattr broker.pid)
    zygote=$(pgrep -P $broker -f -- "fluxs-shell --zygote=3")
    shell=$(pgrep -P $zygote -f -- "fluxs-shell --forked")
    echo "rank $rank: zygotes $(echo $zygote | wc -w), shells $(echo $shell | wc -w), own group $(test "$(ps -o pgid= -p $shell | tr -d " ")" = "$shell" && echo yes)"
done
fluxs cancel $id
fluxs job wait-event -t 30 $id clean >/dev/null
fluxs run -N2 sh -c "exit 3" || echo "exit $?"
EOF
test_expect_success 'each broker has one zygote; a job'"'"'s shells are its children, each its own process group' '
    fluxs start --test-size=2 bash shape.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	rank 0: zygotes 1, shells 1, own group yes
	rank 1: zygotes 1, shells 1, own group yes
	fluxs-run: task(s) exited with exit code 3
	exit 3
	EOF
    test_cmp expected out
'

cat >off.sh <<'EOF'
set -e
id=$(fluxs submit sleep 30)
fluxs job wait-event -t 30 $id start >/dev/null
broker=$(fluxs getattr broker.pid)
echo "zygotes $(pgrep -c -P $broker -f -- "fluxs-shell --zygote" || true)"
echo "shells of the broker $(pgrep -c -P $broker -f -- "fluxs-shell --input-fd=3")"
fluxs cancel $id
fluxs run sh -c "exit 4" || echo "exit $?"
EOF
test_expect_success 'job-exec.zygote=off: job-exec spawns each shell itself' '
    fluxs start -Sjob-exec.zygote=off bash off.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	zygotes 0
	shells of the broker 1
	fluxs-run: task(s) exited with exit code 4
	exit 4
	EOF
    test_cmp expected out
'

cat >killed.sh <<'EOF'
set -e
broker=$(fluxs getattr broker.pid)
id=$(fluxs submit sh -c "sleep 1; exit 5")
fluxs job wait-event -t 30 $id start >/dev/null
pkill -KILL -P $broker -f -- "fluxs-shell --zygote=3"
# The job still ends (its shell's exit code went with the zygote), and the next job
# gets a new zygote.
fluxs job wait-event -t 30 $id clean >/dev/null
fluxs jobs -no "{status}" $id
fluxs run sh -c "exit 6" || echo "exit $?"
echo "zygotes $(pgrep -c -P $broker -f -- "fluxs-shell --zygote=3")"
EOF
test_expect_success 'a zygote killed while its shell runs: the job ends, and the next job gets a new zygote' '
    fluxs start bash killed.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	FAILED
	fluxs-run: task(s) exited with exit code 6
	exit 6
	zygotes 1
	EOF
    test_cmp expected out
'

test_expect_success 'job-exec.zygote must be on or off' '
    test_must_fail fluxs start -Sjob-exec.zygote=maybe true 2>err &&
    grep "job-exec.zygote must be on or off" err
'

test_done
