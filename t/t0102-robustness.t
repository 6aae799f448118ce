#!/usr/bin/env bash
test_description='the broker survives bad clients and serves the others; guests get EPERM'
# Tests here act as other uids: a trash directory and programs they can reach.
FLUXS_TEST_OTHER_UIDS=t
. "$(dirname "$0")/lib/test-lib.sh"
test_under_fluxs 1

for bad in garbage badversion truncated oversized; do
    test_expect_success "a client sending a $bad frame is dropped; others keep working" "
        fluxs_raw $bad &&
        fluxs ping -c1 >/dev/null &&
        fluxs getattr size
    "
done
test_expect_success 'the log says why a client was dropped' '
    fluxs dmesg >out &&
    test_grep "dropping client .*protocol error: unknown protocol version 99" out &&
    test_grep "dropping client .*protocol error: frame of 2147483647 bytes exceeds the limit" out
'
test_expect_success 'a raw event from a client is ignored, the client stays' '
    fluxs_raw raw-event forged.event
'
test_expect_success 'a client can provide a service that others call' '
    $FLUXS_RAW provide echo 1 >echo.out &
    pid=$! &&
    while ! grep -q ready echo.out 2>/dev/null; do sleep 0.05; done &&
    fluxs_raw rpc echo.hi "{\"x\":1}" >out &&
    test "$(cat out)" = "{\"x\":1}" &&
    wait $pid
'
test_expect_success 'a response nobody asked for is dropped, not delivered' '
    fluxs event sub --count=1 never.published >sub.out &
    sub=$! &&
    sleep 0.2 &&
    fluxs_raw forge L1 &&
    fluxs dmesg >out &&
    test_grep "dropping a response from L[0-9]* that answers no pending request" out &&
    kill $sub && ! test -s sub.out
'
test_expect_success 'a request that claims a deep route cannot crash the broker' '
    $FLUXS_RAW provide deep 1 >deep.out &
    pid=$! &&
    while ! grep -q ready deep.out 2>/dev/null; do sleep 0.05; done &&
    fluxs_raw deep-route deep &&
    wait $pid &&
    fluxs ping -c1
'
test_expect_success 'a service name that is taken is refused' '
    test_expect_code 1 fluxs_raw rpc service.add "{\"service\":\"attr\"}" 2>err &&
    test_grep "service attr is built in" err
'
test_expect_success 'a provider that goes away answers its pending requests with an error' '
    $FLUXS_RAW provide hold hang >hold.out &
    pid=$!
    while ! grep -q ready hold.out 2>/dev/null; do sleep 0.05; done
    $FLUXS_RAW rpc hold.this 2>err &
    caller=$!
    sleep 0.3 &&
    kill $pid &&
    test_expect_code 1 wait $caller &&
    test_grep "errnum 113: the provider of hold went away" err &&
    test_expect_code 1 fluxs_raw rpc hold.again 2>err &&
    test_grep "no service \"hold\" is registered" err
'
test_expect_success ROOT,SETPRIV 'another uid is refused with EPERM, and the owner is still served' '
    chmod 755 "$(dirname "${FLUXS_URI#local://}")" &&
    test_expect_code 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
        $FLUXS_RAW rpc broker.ping 2>err &&
    test_grep "^errnum 1: guest access is not allowed in this instance" err &&
    fluxs ping -c1
'
test_expect_success 'many clients at once are all served' '
    for i in $(seq 1 20); do fluxs ping -c5 -i0 >/dev/null & done; wait &&
    fluxs getattr size
'
test_done
