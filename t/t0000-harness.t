#!/usr/bin/env bash
# The harness itself: pass, fail, skip, timeout, and cleanup of every process a test starts.
test_description='t/lib harness'
. "$(dirname "$0")/lib/test-lib.sh"

# Writes an inner test script that uses the harness, in the trash directory.
inner() {
    mkdir -p inner
    cp -r "$SRCDIR/t/lib" inner/
    { echo '#!/usr/bin/env bash'; echo '. "$(dirname "$0")/lib/test-lib.sh"'; cat; echo test_done; } >inner/$1.t
    chmod +x inner/$1.t
}

test_expect_success 'a passing body prints ok and exits 0' '
    inner pass <<-\INNER &&
	test_expect_success "true" "true"
	INNER
    inner/pass.t >out &&
    test_grep "^ok 1 - true" out &&
    test_grep "^1\.\.1" out
'

test_expect_success 'a failing body prints not ok with its output, and exits 1' '
    inner fail <<-\INNER &&
	test_expect_success "false" "echo some-diagnostic && false"
	INNER
    test_expect_code 1 inner/fail.t >out &&
    test_grep "^not ok 1 - false" out &&
    test_grep "^# | some-diagnostic" out
'

test_expect_success 'test_when_finished runs its command after the body, pass or fail' '
    inner finished <<-\INNER &&
	test_expect_success "passes" "test_when_finished \"echo passed >cleaned\" && true"
	test_expect_success "fails" "test_when_finished \"echo failed >>cleaned\" && false"
	INNER
    test_expect_code 1 inner/finished.t >out &&
    printf "passed\nfailed\n" >expected &&
    test_cmp expected inner/trash-finished/cleaned
'

test_expect_success 'a missing prerequisite skips the test' '
    inner skip <<-\INNER &&
	test_expect_success NOSUCHPREREQ "skipped" "false"
	INNER
    inner/skip.t >out &&
    test_grep "^ok 1 # skip skipped (missing NOSUCHPREREQ)" out
'

test_expect_success 'a body that runs over its timeout is killed and fails' '
    inner hang <<-\INNER &&
	test_expect_success "hang" "sleep 300"
	INNER
    start=$(date +%s) &&
    FLUXS_TEST_TIMEOUT=1 test_expect_code 1 inner/hang.t >out &&
    test $(( $(date +%s) - start )) -lt 20 &&
    test_grep "timeout: test body ran over 1s" out
'

test_expect_success 'processes a test leaves behind are gone when the script ends' '
    inner leak <<-\INNER &&
	test_expect_success "leak" "setsid sleep 301 & echo \$! >\$LEAK_PID_FILE"
	INNER
    LEAK_PID_FILE=$PWD/leaked.pid inner/leak.t >out &&
    pid=$(cat leaked.pid) &&
    test -n "$pid" &&
    ! test_pid_alive "$pid"
'

test_expect_success 'test_pid_alive tells a live process from a gone one' '
    sleep 30 & pid=$! &&
    test_pid_alive $pid &&
    kill -KILL $pid && wait $pid;
    ! test_pid_alive $pid
'

test_expect_success 'test_must_fail refuses success, signals and missing commands' '
    test_must_fail false &&
    ! test_must_fail true 2>/dev/null &&
    ! test_must_fail sh -c "kill -9 \$\$" 2>/dev/null &&
    ! test_must_fail no-such-command-here 2>/dev/null
'

test_done
