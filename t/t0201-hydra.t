#!/usr/bin/env bash
test_description='bootstrap by a process manager: mpiexec.hydra starts the brokers, PMI-1 joins them'
. "$(dirname "$0")/lib/test-lib.sh"

command -v mpiexec.hydra >/dev/null 2>&1 && test_set_prereq HYDRA

test_expect_success HYDRA 'mpiexec.hydra -n 4 fluxs-broker forms one instance of 4 (PMI_FD)' '
    mpiexec.hydra -n 4 fluxs-broker bash -c "fluxs getattr size; fluxs exec -r 0-3 fluxs getattr rank | sort" >out &&
    printf "4\n0\n1\n2\n3\n" >expected &&
    test_cmp expected out
'
test_expect_success HYDRA 'with -pmi-port (PMI_PORT and PMI_ID) as well' '
    mpiexec.hydra -pmi-port -n 3 fluxs-broker fluxs getattr size >out &&
    test "$(cat out)" = 3
'
test_expect_success HYDRA 'the tree follows tbon.topo, over tcp by default' '
    mpiexec.hydra -n 4 fluxs-broker -Stbon.topo=kary:1 bash -c "
        fluxs overlay status; fluxs getattr tbon.maxlevel; fluxs getattr tbon.endpoint" >out &&
    test_grep "^      └─ 3 .*: full$" out &&
    test_grep "^3$" out &&
    test_grep "^tcp://" out
'
test_expect_success HYDRA 'brokers started by mpiexec.hydra encrypt their overlay with CURVE keys swapped through PMI' '
    mpiexec.hydra -n 3 fluxs-broker bash -c "fluxs exec -r all fluxs getattr tbon.curve; fluxs run -N3 -n3 true && echo ran" >out &&
    printf "on\non\non\nran\n" >expected &&
    test_cmp expected out
'
test_expect_success HYDRA 'the exit code of the initial program comes back through mpiexec' '
    test_expect_code 5 mpiexec.hydra -n 2 fluxs-broker sh -c "exit 5"
'
test_done
