#!/usr/bin/env bash
# The main job, as far as fluxs goes today (README "Status"): the formats and the CLI
# a Flux user reaches for first, instances of brokers, the KVS, resources, jobs through
# the scheduler, real jobs with MPI, and nested instances (batch, alloc, pstree).
# Each later milestone extends this script.
set -euo pipefail
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step fluxs version
step fluxs hostlist 'node[0-3,7],login1' 'node[4-6]'
step fluxs hostlist --union 'node[0-3,7],login1' 'node[4-6]'
step fluxs hostlist --count 'n[00-99]'
step fluxs hostlist --expand --nth=-2 'n[00-10]'
step fluxs hostlist --intersect 'node[0-9]' 'node[5-20]'
step fluxs hostlist --minus 'node[0-9]' 'node[2-4]'
step fluxs job id --to=f58 1234567890123
step fluxs job id --to=words 1234567890123
step fluxs job id --to=dothex "$(fluxs job id --to=f58 1234567890123)"
step fluxs submit --dry-run --env=-* --env=OMP_NUM_THREADS=2 --cwd=/tmp -N2 -n4 -c2 -t 10m --job-name=demo app --input data
jobspec=$(mktemp)
trap 'rm -f "$jobspec"' EXIT
fluxs submit --dry-run --env=-* -n2 -c4 hostname >"$jobspec"
step fluxs jobspec validate --verbose "$jobspec"
printf '{"version": 1, "resources": [], "tasks": []}\n' >"$jobspec"
printf '\n\033[1m$ fluxs jobspec validate bad.json   # a broken jobspec: one line per problem, exit 1\033[0m\n'
fluxs jobspec validate "$jobspec" || echo "(exit $?)"

# An instance: one broker, its services, and a command run inside it.
printf '\n\033[1m$ fluxs start sh -c "..."   # a one-broker instance running a short script\033[0m\n'
fluxs start sh -c '
    set -x
    fluxs uptime
    fluxs getattr local-uri
    fluxs ping --count=5 --interval=0
    fluxs logger "hello from the main job"
    fluxs dmesg | tail -n 2
    fluxs module list
    fluxs event sub --count=2 heartbeat.pulse
' 2>&1

# A tree of brokers: four on this machine, bootstrapped through PMI by fluxs start.
printf '\n\033[1m$ fluxs start --test-size=4 -Stbon.topo=kary:2 sh -c "..."   # a 4-broker instance\033[0m\n'
fluxs start --test-size=4 -Stbon.topo=kary:2 sh -c '
    set -x
    fluxs overlay status
    fluxs ping --count=1 3
    fluxs exec -r 0-3 --label-io fluxs getattr tbon.level
' 2>&1

# The instance's memory and resources: the KVS and what the brokers found with hwloc.
printf '\n\033[1m$ fluxs start --test-size=4 sh -c "..."   # kvs and resources\033[0m\n'
fluxs start --test-size=4 sh -c '
    set -x
    fluxs kvs put demo.greeting="hello" demo.answer=42
    fluxs exec -r 3 fluxs kvs get demo.answer
    fluxs kvs dir demo
    fluxs resource info
    fluxs resource drain 2 "fan failure"
    fluxs resource list
    fluxs resource status
' 2>&1

# Jobs: the job manager and the scheduler, in the exec test mode (no processes yet: M8).
printf '\n\033[1m$ fluxs start --test-size=2 sh -c "..."   # jobs through the scheduler (exec test mode)\033[0m\n'
fluxs start --test-size=2 sh -c '
    set -x
    T=--setattr=system.exec.test.run_duration=0.2s
    first=$(fluxs submit $T -n2 --job-name=first true)
    fluxs submit $T --dependency=afterok:$first --job-name=second true
    fluxs submit $T --urgency=hold --job-name=held true
    fluxs submit $T -N3 --job-name=too-big true
    fluxs jobs -a
    fluxs job wait $first && fluxs job eventlog $first
    fluxs cancel --all
    sleep 0.5
    fluxs jobs -a
' 2>&1

# Real jobs: a job shell per node starts the tasks, binds them, serves PMI to MPI.
mpi=$(mktemp -d)
trap 'rm -f "$jobspec"; rm -rf "$mpi"' EXIT
if command -v mpicc >/dev/null; then
    cat >"$mpi/allreduce.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
    int rank, size, sum = 0, mine;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    mine = rank + 1;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("MPI rank %d of %d: allreduce sum %d\n", rank, size, sum);
    MPI_Finalize();
    return 0;
}
EOF
    mpicc -o "$mpi/allreduce" "$mpi/allreduce.c"
fi
printf '\n\033[1m$ fluxs start --test-size=4 sh -c "..."   # real jobs on 4 brokers\033[0m\n'
MPI_DIR=$mpi fluxs start --test-size=4 sh -c '
    set -x
    fluxs resource list
    fluxs run -N2 -n4 --label-io sh -c "echo task \$FLUXS_TASK_RANK of \$FLUXS_JOB_SIZE on broker \$(fluxs getattr rank)"
    fluxs run -n2 sh -c "taskset -p \$\$"
    fluxs bulksubmit --quiet --watch --job-name=sq{} sh -c "echo {} squared is \$(({} * {}))" ::: 1 2 3 4
    echo "to the tasks" | fluxs run -n2 -l cat
    fluxs run sh -c "exit 3" || echo "(exit $?)"
    test -x "$MPI_DIR/allreduce" && fluxs run -N2 -n4 "$MPI_DIR/allreduce"
    cd "$MPI_DIR"
    printf "#!/bin/sh\n# fluxs: -N2 --job-name=ensemble\nfluxs getattr instance-level\nfluxs resource list\nfluxs submit --cc=1-4 --quiet --watch sh -c \"sleep 1; echo member \\\$FLUXS_JOB_CC\"\nfluxs jobs -a\n" >ensemble.sh
    job=$(fluxs batch ensemble.sh)
    fluxs job wait-event -q -t 60 $job memo
    sleep 0.5
    fluxs pstree -x
    fluxs job wait $job
    cat fluxs-$job.out
    alloc=$(fluxs alloc --bg -N1)
    fluxs proxy $alloc fluxs run -n2 sh -c "echo nested level \$(fluxs getattr instance-level)"
    fluxs uri $alloc
    fluxs jobs
    fluxs cancel $alloc
    fluxs job wait-event -q -t 30 $alloc clean
    fluxs jobs -a
' 2>&1
