#!/usr/bin/env bash
test_description='fluxs exec and the exec module: output, stdin, exit status, signals, cleanup'
. "$(dirname "$0")/lib/test-lib.sh"
test_under_fluxs 1

# wait_for_file FILE: waits (at most 10 s) until FILE is not empty.
wait_for_file() {
    local i=0
    while ! test -s "$1"; do
        i=$((i + 1))
        test $i -le 200 || { echo >&2 "wait_for_file: $1 stayed empty"; return 1; }
        sleep 0.05
    done
}

test_expect_success 'output comes back; the default is every rank' '
    test "$(fluxs exec -r 0 echo hello)" = hello &&
    test "$(fluxs exec echo everywhere)" = everywhere &&
    test "$(fluxs exec --rank=0 printf "%s-" a b)" = "a-b-"
'
test_expect_success 'stderr comes back on stderr' '
    fluxs exec -r 0 sh -c "echo to-out; echo to-err >&2" >out 2>err &&
    test "$(cat out)" = to-out &&
    test "$(cat err)" = to-err
'
test_expect_success '--label-io prefixes every line with the rank' '
    fluxs exec -l -r 0 sh -c "echo a; echo b >&2; printf c" >out 2>err &&
    printf "0: a\n0: c\n" >expected &&
    test_cmp expected out &&
    test "$(cat err)" = "0: b"
'
test_expect_success 'options after the command are the command'"'"'s' '
    test "$(fluxs exec -r 0 echo -l -r 5)" = "-l -r 5" &&
    test "$(fluxs exec -r0 -- echo x)" = x
'
test_expect_success 'stdin is forwarded; -n gives the command end of file' '
    test "$(echo hi | fluxs exec -r 0 cat)" = hi &&
    test -z "$(echo hi | fluxs exec -n -r 0 cat)" &&
    test -z "$(fluxs exec -r 0 cat </dev/null)"
'
test_expect_success 'bytes that are not UTF-8 pass unchanged both ways' '
    head -c 300000 /dev/urandom >in &&
    fluxs exec -r 0 cat <in >out &&
    cmp in out &&
    fluxs exec -r 0 sh -c "cat >&2" <in 2>err &&
    cmp in err
'
test_expect_success 'the exit status is the largest; a signal gives 128+N' '
    test_expect_code 3 fluxs exec -r 0 sh -c "exit 3" &&
    test_expect_code 143 fluxs exec -r 0 sh -c "kill -TERM \$\$" &&
    test_expect_code 137 fluxs exec -r 0 sh -c "kill -KILL \$\$"
'
test_expect_success 'a command not found fails with 127 and names the rank' '
    test_expect_code 127 fluxs exec -r 0 no-such-command-xyz 2>err &&
    test_grep "^fluxs-exec: error: rank 0: no-such-command-xyz: command not found$" err &&
    test_expect_code 127 fluxs exec -r 0 ./no/such/file 2>err &&
    test_grep "^fluxs-exec: error: rank 0: ./no/such/file: No such file or directory$" err
'
test_expect_success 'a file that may not run fails with 126' '
    echo "echo x" >notexec &&
    chmod 644 notexec &&
    test_expect_code 126 fluxs exec -r 0 ./notexec 2>err &&
    test_grep "^fluxs-exec: error: rank 0: ./notexec: Permission denied$" err
'
test_expect_success 'FLUXS_URI inside is the local broker of the rank' '
    test "$(fluxs exec -r 0 fluxs getattr rank)" = 0 &&
    test "$(fluxs exec -r 0 printenv FLUXS_URI)" = "$(fluxs getattr local-uri)"
'
test_expect_success '--setenv, --dir, and the current directory by default' '
    test "$(fluxs exec -r 0 --setenv A=1 --setenv B=x=y sh -c "echo \$A \$B")" = "1 x=y" &&
    test "$(fluxs exec -r 0 pwd)" = "$(pwd)" &&
    test "$(fluxs exec -d / -r 0 pwd)" = / &&
    test_expect_code 127 fluxs exec -r 0 --dir=/no/such/dir true 2>err &&
    test_grep "^fluxs-exec: error: rank 0: cannot run true in /no/such/dir: No such file or directory$" err
'
test_expect_success 'a bad idset or a missing command is a usage error; a missing rank is 68' '
    test_expect_code 2 fluxs exec -r 0-x true 2>err &&
    test_grep "^fluxs-exec: error: --rank: " err &&
    test_expect_code 2 fluxs exec -r 0 2>err &&
    test_grep "^fluxs-exec: error: missing the command to run$" err &&
    test_expect_code 2 fluxs exec --setenv NOEQUALS true 2>err &&
    test_grep "expected VAR=VAL" err &&
    test_expect_code 68 fluxs exec -r 3 true 2>err &&
    test_grep "^fluxs-exec: error: --rank 3: there is no rank 3 in an instance of size 1$" err
'
test_expect_success '-x leaves out ranks (outside ones are no error); leaving out all of them is an error' '
    fluxs start --test-size=3 sh -c "
        fluxs exec -l -x 1 echo hi | sort
        fluxs exec -l -x0,2 echo joined
        fluxs exec -l -r 0-1 --exclude=1 echo both
        fluxs exec -l -x 5-7 echo all | wc -l
        fluxs exec -x 0-2 echo none; echo rc=\$?
        fluxs exec -x bad echo none 2>/dev/null; echo rc=\$?
    " >out 2>err &&
    cat >expected <<-\EOF &&
	0: hi
	2: hi
	1: joined
	0: both
	3
	rc=1
	rc=2
	EOF
    test_cmp expected out &&
    test_grep "^fluxs-exec: error: No targets specified$" err
'
test_expect_success 'SIGINT reaches the command; nothing is left behind' '
    fluxs exec -r 0 sh -c "echo \$\$ >pid; exec sleep 100" &
    exec_pid=$! &&
    wait_for_file pid &&
    test_pid_alive $(cat pid) &&
    fluxs_raw rpc exec.list >list &&
    test_grep "\"cmd\":\[\"sh\",\"-c\"" list &&
    kill -INT $exec_pid &&
    test_expect_code 130 wait $exec_pid &&
    ! test_pid_alive $(cat pid)
'
test_expect_success 'a second SIGINT within 2 s sends SIGKILL' '
    fluxs exec -r 0 sh -c "trap \"\" INT; echo \$\$ >pid2; while :; do sleep 0.1; done" &
    exec_pid=$! &&
    wait_for_file pid2 &&
    kill -INT $exec_pid &&
    sleep 0.3 &&
    test_pid_alive $(cat pid2) &&
    kill -INT $exec_pid &&
    test_expect_code 137 wait $exec_pid &&
    ! test_pid_alive $(cat pid2)
'
test_expect_success 'a closed output sends SIGPIPE to the command' '
    fluxs exec -r 0 yes | head -n 2 >out &&
    test "${PIPESTATUS[0]}" = 141 &&
    test $(wc -l <out) -eq 2
'
test_expect_success 'removing the module kills what it started and ends the stream' '
    fluxs exec -r 0 sh -c "echo \$\$ >pid3; exec sleep 100" 2>err &
    exec_pid=$! &&
    wait_for_file pid3 &&
    test "$(fluxs module stats --parse running exec)" = 1 &&
    fluxs module remove exec &&
    test_expect_code 1 wait $exec_pid &&
    fluxs module load exec &&
    test_grep "^fluxs-exec: error: rank 0: the exec module stopped; sh (pid [0-9]*) was killed$" err &&
    ! test_pid_alive $(cat pid3)
'
test_expect_success 'module stats count started, running and failed commands' '
    fluxs module remove exec &&
    fluxs module load exec &&
    fluxs exec -r 0 true &&
    test_expect_code 1 fluxs exec -r 0 sh -c "exit 1" &&
    test_expect_code 127 fluxs exec -r 0 no-such-command-xyz 2>/dev/null &&
    test "$(fluxs module stats --parse started exec)" = 2 &&
    test "$(fluxs module stats --parse failed exec)" = 1 &&
    test "$(fluxs module stats --parse running exec)" = 0
'
test_expect_success 'the service checks its requests' '
    test_expect_code 1 fluxs_raw rpc exec.spawn "{\"cmd\":[\"true\"]}" 2>err &&
    test_grep "^errnum 71: exec.spawn is a streaming request" err &&
    test_expect_code 1 fluxs_raw rpc exec.write "{\"pid\":1,\"data\":\"x\"}" 2>err &&
    test_grep "^errnum 2: no process 1 under exec on rank 0" err &&
    test_expect_code 1 fluxs_raw rpc exec.kill "{\"pid\":1}" 2>err &&
    test_grep "^errnum 2: no process 1" err &&
    test_expect_code 1 fluxs_raw rpc exec.nosuch 2>err &&
    test_grep "^errnum 38: exec has no method \"nosuch\"" err &&
    fluxs_raw rpc exec.list >out &&
    test_grep "\"procs\":\[\]" out
'
test_done
