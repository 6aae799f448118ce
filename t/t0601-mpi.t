#!/usr/bin/env bash
test_description='MPI programs (MPICH, PMI-1 from the job shell) run by fluxs run without mpiexec'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/jobs-lib.sh"

command -v mpicc >/dev/null 2>&1 || test_skip_all "mpicc (MPICH) is not installed"

# Every rank adds rank+1: with N ranks each prints the sum N(N+1)/2, and its task rank.
cat >mpi_hello.c <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rank, size, mine, sum;
    const char *task = getenv("FLUXS_TASK_RANK");

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    mine = rank + 1;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d of %d: sum %d task %s\n", rank, size, sum, task ? task : "unset");
    MPI_Finalize();
    return 0;
}
EOF

# Rank 1 aborts once every rank is in; the others would wait for a minute.
cat >mpi_abort.c <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int rank;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 1)
        MPI_Abort(MPI_COMM_WORLD, 7);
    sleep(60);
    MPI_Finalize();
    return 0;
}
EOF

test_expect_success 'mpicc builds the test programs' '
    mpicc -o mpi_hello mpi_hello.c &&
    mpicc -o mpi_abort mpi_abort.c
'

cat >hello.sh <<'EOF'
timeout 30 fluxs run -N2 -n4 ./mpi_hello | sort; echo rc=${PIPESTATUS[0]}
timeout 30 fluxs run -N1 -n2 ./mpi_hello | sort; echo rc=${PIPESTATUS[0]}
timeout 30 fluxs run -n1 ./mpi_hello; echo rc=${PIPESTATUS[0]}
EOF
test_expect_success 'fluxs run -N2 -n4 ./mpi_hello: one MPI job of 4 ranks over 2 nodes, Allreduce gives 10 everywhere' '
    run2 hello.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rank 0 of 4: sum 10 task 0
	rank 1 of 4: sum 10 task 1
	rank 2 of 4: sum 10 task 2
	rank 3 of 4: sum 10 task 3
	rc=0
	rank 0 of 2: sum 3 task 0
	rank 1 of 2: sum 3 task 1
	rc=0
	rank 0 of 1: sum 1 task 0
	rc=0
	EOF
    test_cmp expected out
'

# 20 s is far more than an abort takes to end the job; timeout says 124 if it never does.
cat >abort.sh <<'EOF'
timeout 20 fluxs run -N2 -n4 --env=T0601_MARK=abort-$$ ./mpi_abort; echo rc=$?
fluxs jobs -a -n -o "{result}"
fluxs run -N2 -n4 ./mpi_hello | wc -l
# No rank of the aborted job is left (zombies aside).
for f in $(grep -lzx -e "T0601_MARK=abort-$$" /proc/[0-9]*/environ 2>/dev/null); do
    stat=${f%/environ}/stat
    sed -n "s/^\([0-9]*\) (.*) \([A-Z]\).*/\1 \2/p" "$stat" 2>/dev/null
done | awk '$2 != "Z" && $2 != "X" {print "left: " $1}'
EOF
test_expect_success 'MPI_Abort in one rank ends the whole job on every node with an exec exception and a nonzero exit; the instance goes on' '
    run2 abort.sh >out 2>err &&
    rc=$(sed -n "s/^rc=//p" out) &&
    test "$rc" -ne 0 &&
    test "$rc" -ne 124 &&
    test "$(sed -n 2p out)" = FAILED &&
    test "$(sed -n 3p out | tr -d " ")" = 4 &&
    test_must_fail grep "^left:" out &&
    test_grep "^fluxs-run: ƒ[^:]*: exception type=exec: .*PMI_Abort" err &&
    test_grep "MPI_Abort" err
'

test_done
