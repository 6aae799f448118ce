#!/usr/bin/env bash
test_description='ordinary user scripts from Flux documentation examples (flux-core doc/man1 EXAMPLES and the like), with flux spelled fluxs and nothing else changed'
. "$(dirname "$0")/lib/test-lib.sh"
test_under_fluxs 1

# as_fluxs FILE: the script in FILE, written for Flux, with the word flux spelled fluxs
# (commands, #flux: directives, FLUX_ variables), into FILE.sh; nothing else changes.
as_fluxs() { sed -e 's/\bflux\b/fluxs/g' -e 's/\bFLUX_/FLUXS_/g' "$1" >"$1.sh"; }

# flux-job(1) WAIT, flux-submit(1): submit a bunch, wait for all, look at the results.
cat >bunch <<'EOF'
for i in 1 2 3 4; do
    flux submit --flags=waitable --job-name=task$i sh -c "exit $((i % 2))"
done >ids
flux job wait --all >reaped
echo "wait --all: $?"
sort ids >ids.sorted; sort reaped >reaped.sorted
cmp -s ids.sorted reaped.sorted && echo "every job reaped once"
flux job wait; echo "nothing left: $?"
flux jobs --filter=failed --format="{name} {result} {returncode}" | sort
flux jobs -a --format="{id}" | grep -c "^ƒ"
EOF
test_expect_success 'submit a bunch, wait for all, list the failures' '
    as_fluxs bunch && bash bunch.sh >out 2>err &&
    cat >expected <<-\EOF &&
	wait --all: 1
	every job reaped once
	nothing left: 2
	NAME RESULT RC
	task1 FAILED 1
	task3 FAILED 1
	4
	EOF
    test_cmp expected out &&
    test $(grep -c "exited with exit code 1" err) -eq 2
'

# flux-jobs(1) EXAMPLES.
cat >jobs <<'EOF'
flux submit --job-name=pending --urgency=hold true >/dev/null
flux jobs --filter=pending,running --no-header --format="{name} {state}"
flux jobs -a -n -o "{name}" | sort | tr "\n" " "; echo
flux jobs --filter=pending,running,inactive -n -o "{name}" | sort | tr "\n" " "; echo
flux jobs --user=$(id -un) -n -o "{name}" | sort | tr "\n" " "; echo
flux jobs --filter=failed,canceled -n -o "{name}" | sort | tr "\n" " "; echo
flux jobs -a --format="{id} {annotations.sched}" | head -n1
flux jobs --filter=failed --format="{id} {exception.type} {exception.note}" | head -n1
flux cancel $(flux jobs -n -o "{id}" --filter=pending)
EOF
test_expect_success 'the listings of flux-jobs(1) EXAMPLES' '
    as_fluxs jobs && bash jobs.sh >out &&
    cat >expected <<-\EOF &&
	pending SCHED
	pending task1 task2 task3 task4 
	pending task1 task2 task3 task4 
	pending 
	task1 task3 
	JOBID SCHED
	JOBID EXCEPTION-TYPE EXCEPTION-NOTE
	EOF
    test_cmp expected out
'

# job-dependencies (flux-submit(1) DEPENDENCIES): a job that starts after another ends.
cat >deps <<'EOF'
cat >my-script.sh <<'INNER'
echo second
INNER
jobid=$(flux submit -n1 sh -c "sleep 0.2; echo first")
flux submit --dependency=afterany:$jobid /bin/bash my-script.sh >/dev/null
flux job attach $(flux job last)
flux job attach $jobid
EOF
test_expect_success 'afterany: the dependent job runs after, and job last finds it' '
    as_fluxs deps && bash deps.sh >out &&
    printf "second\nfirst\n" >expected &&
    test_cmp expected out
'

# flux-bulksubmit(1) EXAMPLES.
cat >bulk <<'EOF'
flux bulksubmit --watch echo {} ::: 1 2 3 4 | grep -v "^ƒ" | sort
flux bulksubmit --dry-run echo {1} {0} ::: 1 2 ::: 3 4
EOF
test_expect_success 'bulksubmit, as in its man page' '
    as_fluxs bulk && bash bulk.sh >out &&
    cat >expected <<-\EOF &&
	1
	2
	3
	4
	bulksubmit: submit echo 3 1
	bulksubmit: submit echo 4 1
	bulksubmit: submit echo 3 2
	bulksubmit: submit echo 4 2
	EOF
    test_cmp expected out
'

# flux-batch(1) "Command Line Override": directives, and the command line wins.
cat >batch <<'EOF'
id=$(flux batch --job-name=test-name --wrap <<-INNER
#flux: -N1
#flux: --job-name=name
flux run -N1 hostname
INNER
)
flux job wait $id && echo batch-ok
flux jobs -no {name} $id
EOF
test_expect_success 'batch with directives; the command line overrides them' '
    as_fluxs batch && bash batch.sh >out &&
    printf "batch-ok\ntest-name\n" >expected &&
    test_cmp expected out
'

# flux-alloc(1): an instance in the background, used through proxy, then shut down.
cat >alloc <<'EOF'
id=$(flux alloc --bg -N 1)
flux proxy $id flux run -n1 echo inside
flux proxy $id flux getattr size
flux proxy $id flux shutdown
flux job wait $id && echo alloc-done
EOF
test_expect_success 'alloc --bg, proxy, run, shutdown' '
    as_fluxs alloc && bash alloc.sh >out &&
    printf "inside\n1\nalloc-done\n" >expected &&
    test_cmp expected out
'

# flux-submit(1) --cc with the copy number in the command; job ids on stdout.
cat >cc <<'EOF'
flux submit --cc=1-4 --wait sh -c 'echo copy {cc} $FLUX_JOB_CC' | wc -l
for id in $(flux jobs -a -n -o "{id}" --filter=completed -c 4); do flux job attach $id; done | sort
EOF
test_expect_success 'cc: four copies, each told its number' '
    as_fluxs cc && bash cc.sh >out &&
    printf "4\ncopy 1 1\ncopy 2 2\ncopy 3 3\ncopy 4 4\n" >expected &&
    test_cmp expected out
'
test_done
