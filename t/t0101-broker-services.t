#!/usr/bin/env bash
test_description='built-in broker services: attributes, ping, log, events, modules'
. "$(dirname "$0")/lib/test-lib.sh"
FLUXS_TEST_BROKER_OPTS="-Sheartbeat.period=0.1s"
test_under_fluxs 1

test_expect_success 'attributes describe the instance' '
    test "$(fluxs getattr rank)" = 0 &&
    test "$(fluxs getattr size)" = 1 &&
    test "$(fluxs getattr instance-level)" = 0 &&
    test "$(fluxs getattr local-uri)" = "$FLUXS_URI" &&
    test "$(fluxs getattr version)" = "$(fluxs version | sed -n "s/^commands: *//p")" &&
    kill -0 $(fluxs getattr broker.pid)
'
test_expect_success 'an unknown attribute is an error naming it' '
    test_expect_code 1 fluxs getattr no.such.attr 2>err &&
    test_grep "^fluxs-getattr: error: attribute no.such.attr is not set$" err
'
test_expect_success 'setattr: runtime attributes change, others are refused' '
    fluxs setattr test.x hello &&
    test "$(fluxs getattr test.x)" = hello &&
    fluxs setattr --remove test.x &&
    test_must_fail fluxs getattr test.x &&
    test_expect_code 1 fluxs setattr rank 5 2>err &&
    test_grep "attribute rank is read-only" err &&
    test_expect_code 1 fluxs setattr rundir /x 2>err &&
    test_grep "can be set only at start" err &&
    test_expect_code 1 fluxs setattr heartbeat.period junk 2>err &&
    test_grep "heartbeat.period must be a positive duration" err &&
    test_expect_code 1 fluxs setattr log-ring-size 0 2>err &&
    test_grep "log-ring-size must be a positive integer" err
'
test_expect_success 'lsattr lists names; -v adds values and access' '
    fluxs lsattr >names &&
    test_grep "^local-uri$" names &&
    fluxs lsattr -v >values &&
    test_grep "^size  *1  (read-only)$" values &&
    test_grep "^log-ring-size  *1024$" values
'
test_expect_success 'ping prints each round trip and a summary' '
    fluxs ping --count=3 --interval=0 >out &&
    test $(grep -c "^broker.ping pad=0 seq=[0-2] time=[0-9.]* ms" out) -eq 3 &&
    test_grep "^3 round trips: min/avg/median/max = " out &&
    fluxs ping -c1 -p 100 0 >out &&
    test_grep "^0!broker.ping pad=100 seq=0" out &&
    fluxs ping -c1 heartbeat >out &&
    test_grep "^heartbeat.ping" out
'
test_expect_success 'ping to a missing service or rank fails with a clear message' '
    test_expect_code 1 fluxs ping -c1 nosuch 2>err &&
    test_grep "^fluxs-ping: error: no service \"nosuch\" is registered" err &&
    test_expect_code 1 fluxs ping -c1 5 2>err &&
    test_grep "^fluxs-ping: error: no route to rank 5" err
'
test_expect_success 'an unknown method of a built-in service gets ENOSYS with a message' '
    test_expect_code 1 fluxs_raw rpc attr.frobnicate 2>err &&
    test_grep "^errnum 38: attr has no method \"frobnicate\"" err &&
    test_expect_code 1 fluxs_raw rpc nosuch.thing 2>err &&
    test_grep "^errnum 38: no service \"nosuch\" is registered" err
'
test_expect_success 'logger adds to the ring; dmesg prints it; -C clears it' '
    fluxs logger --severity=warning --appname=mytest "something happened" &&
    fluxs dmesg >out &&
    test_grep "Z mytest.warning\[0\]: something happened$" out &&
    fluxs dmesg -C &&
    fluxs dmesg >out &&
    ! test_grep "something happened" out 2>/dev/null
'
test_expect_success 'logger: -n names the app, -s the severity, info by default (as flux logger)' '
    fluxs logger -n myapp "plain entry" &&
    fluxs logger -s warning -nother "bad entry" &&
    fluxs dmesg >logger.out &&
    test_grep "Z myapp.info\[0\]: plain entry$" logger.out &&
    test_grep "Z other.warning\[0\]: bad entry$" logger.out
'
test_expect_success 'dmesg -f follows new entries' '
    fluxs dmesg -f >follow &
    pid=$! &&
    while ! grep -q followed-entry follow; do fluxs logger followed-entry; sleep 0.05; done &&
    kill $pid &&
    test_grep "followed-entry" follow
'
test_expect_success 'a bad severity is a usage error' '
    test_expect_code 2 fluxs logger --severity=loud x 2>err &&
    test_grep "unknown severity \"loud\"" err
'
test_expect_success 'events: a subscriber sees what is published to its prefix' '
    fluxs event sub --count=1 test.topic >out &
    pid=$! &&
    while ! test -s out; do fluxs event pub test.topic "{\"n\":1}"; sleep 0.05; done &&
    wait $pid &&
    test_grep "^test.topic {\"n\":1}$" out
'
test_expect_success 'the heartbeat module publishes heartbeat.pulse in sequence' '
    fluxs event sub --count=3 --sequence heartbeat.pulse >out &&
    test $(wc -l <out) -eq 3 &&
    awk "NR>1 && \$1 <= prev { exit 1 } { prev = \$1 }" out
'
test_expect_success 'a count below 1 is a usage error, not an instant exit' '
    test_expect_code 2 fluxs event sub --count=0 heartbeat 2>err &&
    test_grep "^fluxs-event: error: --count must be 1 or more" err &&
    test_expect_code 2 fluxs ping -c0 2>err &&
    test_grep "^fluxs-ping: error: --count must be 1 or more" err
'
test_expect_success 'a bad event payload is refused' '
    test_expect_code 1 fluxs event pub x.y "{nope" 2>err &&
    test_grep "^fluxs-event: error: payload: invalid JSON" err
'
test_expect_success 'modules: list, stats, remove and load again' '
    fluxs module list >out &&
    test_grep "^heartbeat  *running" out &&
    test $(fluxs module stats --parse pulses heartbeat) -gt 0 &&
    fluxs module remove heartbeat &&
    fluxs module list >out &&
    test_grep "^heartbeat  *stopped" out &&
    test_expect_code 1 fluxs ping -c1 heartbeat 2>err &&
    test_grep "no service \"heartbeat\"" err &&
    fluxs module load heartbeat &&
    fluxs ping -c1 heartbeat
'
test_expect_success 'module errors name the module' '
    test_expect_code 1 fluxs module load nosuch 2>err &&
    test_grep "^fluxs-module: error: no module named nosuch" err &&
    test_expect_code 1 fluxs module load heartbeat 2>err &&
    test_grep "module heartbeat is already loaded" err
'
test_expect_success 'uptime shows state, owner and size' '
    fluxs uptime >out &&
    test_grep "run .*owner $(id -un),  depth 0,  size 1" out
'
test_done
