#!/usr/bin/env bash
test_description='the KVS archive of inactive jobs: directories leave memory past kvs.inactive-cache and come back when read'
. "$(dirname "$0")/lib/test-lib.sh"

# archive_settle N: waits until N inactive jobs are archived (the last archive writes
# are done on the KVS's worker thread after the jobs end).
archive_settle() {
    while test "$(fluxs module stats -p inactive-archived kvs)" -ne "$1"; do sleep 0.02; done
}
export -f archive_settle

cat >archive.sh <<'EOF'
set -e
for i in $(seq 1 12); do fluxs submit --job-name=job$i sh -c "echo out$i; exit $((i % 3))"; done >ids
fluxs job wait --all >/dev/null 2>&1 || true
archive_settle 9
echo "cached $(fluxs module stats -p inactive-cached kvs) faults $(fluxs module stats -p inactive-faults kvs)"
oldest=$(head -1 ids)
# Everything a user reads of the oldest job is still there.
fluxs jobs -no "{name} {returncode}" $oldest
fluxs job info $oldest jobspec | python3 -c "import json,sys; print(json.load(sys.stdin)[\"tasks\"][0][\"command\"])"
fluxs job info $oldest R >/dev/null && echo R-ok
fluxs job info $oldest eventlog | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])"
fluxs job attach $oldest || echo "attach: $?"
echo "faults $(fluxs module stats -p inactive-faults kvs)"
# A listing of every job directory reads back the archived ones.
fluxs kvs dir -R job | grep -c "\.eventlog = "
# Purging archived jobs does not read them back.
before=$(fluxs module stats -p inactive-faults kvs)
fluxs job purge --force --num-limit=2
test "$(fluxs module stats -p inactive-faults kvs)" -eq "$before" && echo no-faults
fluxs kvs dir -R job | grep -c "\.eventlog = "
echo "archived $(fluxs module stats -p inactive-archived kvs)"
EOF
test_expect_success 'past kvs.inactive-cache=3, inactive jobs are archived; reads, attach, dir and purge still work' '
    fluxs start -Skvs.inactive-cache=3 bash archive.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	cached 3 faults 0
	job1 1
	['"'"'sh'"'"', '"'"'-c'"'"', '"'"'echo out1; exit 1'"'"']
	R-ok
	clean
	out1
	fluxs-job: task(s) exited with exit code 1
	attach: 1
	faults 1
	12
	purged 10 inactive jobs, 2 remaining
	no-faults
	2
	archived 0
	EOF
    test_cmp expected out
'

cat >first.sh <<'EOF'
set -e
fluxs submit --cc=1-8 sh -c 'echo cc$FLUXS_JOB_CC' | head -1 >oldest
fluxs job wait --all
archive_settle 6
EOF
cat >second.sh <<'EOF'
set -e
# The restarted job manager says which jobs are inactive; they go to disk again.
archive_settle 6
fluxs jobs -a -c0 | wc -l
fluxs job attach $(cat oldest)
fluxs job info $(cat oldest) eventlog | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])"
EOF
test_expect_success 'with a statedir: archived jobs are read from it, and again after a restart' '
    fluxs start -Skvs.inactive-cache=2 -Sstatedir="$PWD/state" bash first.sh &&
    fluxs start -Skvs.inactive-cache=2 -Sstatedir="$PWD/state" bash second.sh >out &&
    printf "9\ncc1\nclean\n" >expected &&
    test_cmp expected out
'

cat >watch.sh <<'EOF'
set -e
id=$(fluxs submit --wait-event=start sh -c 'sleep 0.5; echo got hello')
# The job's eventlog is watched while the job is active and after it is archived.
fluxs job wait-event -t 30 $id clean >clean.out &
waiter=$!
fluxs job attach $id
wait $waiter
fluxs submit --quiet --cc=1-4 --wait true
archive_settle 4
fluxs job wait-event -t 30 $id clean | cut -d" " -f2
test "$(fluxs module stats -p inactive-faults kvs)" -ge 1
EOF
test_expect_success 'a watch of an archived job directory reads it back' '
    fluxs start -Skvs.inactive-cache=1 bash watch.sh >out 2>&1 &&
    printf "got hello\nclean\n" >expected &&
    test_cmp expected out &&
    grep -q clean clean.out
'

cat >ancestor.sh <<'EOF'
set -e
fluxs submit --cc=1-6 true >ids
fluxs job wait --all >/dev/null
archive_settle 5
# A directory above archived jobs is not empty to a plain unlink.
dir=$(fluxs job id --to=kvs $(head -1 ids))
fluxs kvs unlink ${dir%.*} 2>&1 | sed "s/job\.[0-9a-f.]*/DIR/"
# Removing the directory above every job's takes the archived ones too: none comes back.
fluxs kvs unlink -R job
echo "archived $(fluxs module stats -p inactive-archived kvs) cached $(fluxs module stats -p inactive-cached kvs)"
fluxs kvs get $(fluxs job id --to=kvs $(head -1 ids)).jobspec 2>&1 | sed "s/job\.[0-9a-f.]*\.jobspec/KEY/"
fluxs kvs dir job 2>&1 || true
EOF
test_expect_success 'unlinking job (above every job directory) forgets the archived jobs' '
    fluxs start -Skvs.inactive-cache=1 bash ancestor.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	fluxs-kvs: error: DIR is not empty (unlink it recursively)
	archived 0 cached 0
	fluxs-kvs: error: key KEY not found
	fluxs-kvs: error: key job not found
	EOF
    test_cmp expected out
'

test_expect_success 'kvs.inactive-cache must be a number of jobs' '
    test_must_fail fluxs start -Skvs.inactive-cache=-1 true 2>err &&
    grep "kvs.inactive-cache must be a number of jobs, 0 or more" err
'

test_done
