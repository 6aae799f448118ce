#!/usr/bin/env bash
test_description='the overlay: requests, responses and events across a tree of brokers'
. "$(dirname "$0")/lib/test-lib.sh"

# rank_attr RANK NAME: the attribute NAME of the broker at RANK (routed there).
rank_attr() {
    fluxs_raw rpc --rank "$1" attr.get "{\"name\":\"$2\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"value\"])"
}
export -f rank_attr

test_expect_success 'a size-2 instance has two ranks' '
    fluxs start --test-size=2 bash -c "fluxs getattr size; rank_attr 1 rank; rank_attr 1 size" >out &&
    printf "2\n1\n2\n" >expected &&
    test_cmp expected out
'
test_expect_success 'every rank of a kary:2 instance of 16 answers a ping routed to it' '
    fluxs start --test-size=16 -Stbon.topo=kary:2 bash -c "
        for r in \$(seq 0 15); do fluxs ping -c1 \$r || exit 1; done
        for r in \$(seq 0 15); do test \$(rank_attr \$r rank) = \$r || exit 1; done
    " >out &&
    test $(grep -c "!broker.ping pad=0 seq=0" out) -eq 16 &&
    test_grep "^15!broker.ping .*(L[0-9]*!0!1!3!7!15)" out
'
test_expect_success 'tbon attributes describe the tree' '
    fluxs start --test-size=16 -Stbon.topo=kary:2 bash -c "
        fluxs getattr tbon.level; fluxs getattr tbon.maxlevel; fluxs getattr tbon.descendants
        rank_attr 7 tbon.level; rank_attr 7 tbon.descendants; rank_attr 15 tbon.parent-endpoint
    " >out &&
    sed -n 1,5p out >got && printf "0\n4\n15\n3\n1\n" >expected && test_cmp expected got &&
    sed -n 6p out | grep "^ipc://"
'
test_expect_success 'events from any rank reach a leaf once each, in order' '
    fluxs start --test-size=8 -Stbon.topo=kary:2 bash -c "
        leaf=\$(rank_attr 7 local-uri)
        FLUXS_URI=\$leaf fluxs event sub --count=20 --sequence test. >sub.out &
        sub=\$!
        while ! FLUXS_URI=\$leaf fluxs_raw rpc event.pub \"{\\\"topic\\\":\\\"probe\\\"}\" >/dev/null; do sleep 0.05; done
        sleep 0.5
        for i in \$(seq 1 10); do fluxs event pub test.a; FLUXS_URI=\$leaf fluxs event pub test.b; done
        wait \$sub
    " &&
    test $(wc -l <sub.out) -eq 20 &&
    awk "NR>1 && \$1 <= prev { exit 1 } { prev = \$1 }" sub.out &&
    test $(grep -c " test.a" sub.out) -eq 10 &&
    test $(grep -c " test.b" sub.out) -eq 10
'
test_expect_success 'fluxs exec runs on chosen ranks, each with its own FLUXS_URI' '
    fluxs start --test-size=4 bash -c "
        fluxs exec -r 3 fluxs getattr rank
        fluxs exec -r 1-2 --label-io fluxs getattr rank | sort
        echo hi | fluxs exec -r 0-3 cat | sort | uniq -c
        fluxs exec -r 0-3 sh -c \"exit \\\$(fluxs getattr rank)\"; echo max=\$?
    " >out &&
    printf "3\n1: 1\n2: 2\n      4 hi\nmax=3\n" >expected &&
    test_cmp expected out
'
test_expect_success 'a rank that does not exist is refused clearly' '
    fluxs start --test-size=2 bash -c "fluxs ping -c1 9" 2>err;
    test_grep "no route to rank 9 in an instance of size 2" err
'
test_expect_success 'overlay status draws the tree' '
    fluxs start --test-size=4 -Stbon.topo=kary:2 fluxs overlay status >out &&
    test_grep "^0 .*: full$" out &&
    test_grep "^├─ 1 .*: full$" out &&
    test_grep "^│  └─ 3 .*: full$" out &&
    test_grep "^└─ 2 .*: full$" out &&
    fluxs start --test-size=2 fluxs overlay status --json >out.json &&
    python3 -c "import json; t=json.load(open(\"out.json\")); assert t[\"children\"][0][\"rank\"] == 1"
'
test_expect_success 'the instance shuts down leaves first and leaves nothing behind' '
    fluxs start --test-size=8 -Stbon.topo=kary:2 true &&
    ls -d "$TMPDIR"/fluxs-* 2>/dev/null | wc -l >count && test $(cat count) -eq 0 &&
    for pid in $(test_marked_pids); do
        grep -q fluxs-broker /proc/$pid/cmdline 2>/dev/null && test_pid_alive $pid && return 1
    done; true
'
test_expect_success 'the exit code of the initial program is that of start' '
    test_expect_code 7 fluxs start --test-size=3 bash -c "exit 7"
'
test_expect_success 'a killed leaf is noticed; its rank fails fast; the rest goes on' '
    fluxs start --test-size=4 -Stbon.topo=kary:2 -Stbon.timeout=2s bash -c "
        kill -9 \$(rank_attr 3 broker.pid)
        for i in \$(seq 1 100); do fluxs overlay status | grep -q \"3: lost\" && break; sleep 0.1; done
        fluxs overlay status
        fluxs ping -c1 3; echo rc=\$?
        fluxs ping -c1 2 && fluxs ping -c1 1 && echo others-ok
        fluxs event pub still.here && echo events-ok
    " >out 2>&1 &&
    test_grep "^0 .*: degraded$" out &&
    test_grep "└─ 3: lost" out &&
    test_grep "rank 3 is unreachable: rank 3 is lost" out &&
    test_grep "^rc=1$" out &&
    test_grep "^others-ok$" out &&
    test_grep "^events-ok$" out &&
    ! grep -E "Fatal|crashed|status 134" out
'
test_expect_success 'killing an interior broker fails the request in flight into its subtree (tbon.heal=off)' '
    fluxs start --test-size=8 -Stbon.topo=kary:2 -Stbon.timeout=2s -Stbon.heal=off bash -c "
        leaf=\$(rank_attr 7 local-uri)
        FLUXS_URI=\$leaf \$FLUXS_RAW provide hold hang >hold.out &
        while ! grep -q ready hold.out 2>/dev/null; do sleep 0.05; done
        \$FLUXS_RAW rpc --rank 7 hold.this 2>inflight.err &
        caller=\$!
        sleep 0.3
        kill -9 \$(rank_attr 1 broker.pid)
        wait \$caller; echo caller=\$?
        fluxs ping -c1 7; echo rc=\$?
        fluxs ping -c1 2 && echo others-ok
    " >out 2>&1 &&
    test_grep "^caller=1$" out &&
    test_grep "rank 1 was lost" inflight.err &&
    test_grep "rank 7 is unreachable: rank 1 is lost" out &&
    test_grep "^others-ok$" out &&
    ! grep -E "Fatal|crashed|status 134" out
'
test_expect_success 'when rank 0 is lost the other brokers exit on their own' '
    start=$(date +%s) &&
    test_expect_code 137 fluxs start --test-size=3 -Stbon.timeout=1s bash -c "kill -9 \$(fluxs getattr broker.pid); exec sleep 30" &&
    test $(( $(date +%s) - start )) -lt 15 &&
    for pid in $(test_marked_pids); do
        grep -q fluxs-broker /proc/$pid/cmdline 2>/dev/null && test_pid_alive $pid && return 1
    done; true
'
# greeting URI: the security mechanism a ZeroMQ peer at URI (ipc://PATH or
# tcp://HOST:PORT) announces in its ZMTP 3 greeting (bytes 12-31), which it sends to
# whoever connects.
cat >greeting.py <<'EOF'
import socket, sys
uri = sys.argv[1]
if uri.startswith("ipc://"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(uri[len("ipc://"):])
else:
    host, port = uri[len("tcp://"):].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
# Only the signature and major version: the peer then sends its whole greeting, before
# it could learn (and dislike) this side's mechanism.
s.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03")
greeting = b""
while len(greeting) < 64:
    chunk = s.recv(64 - len(greeting))
    if not chunk:
        break
    greeting += chunk
print(greeting[12:32].rstrip(b"\0").decode())
EOF
cat >curve.sh <<'EOF'
echo "tbon.curve: $(fluxs exec -r all fluxs getattr tbon.curve | sort | uniq -c | tr -s " ")"
echo "rank 0 says: $(python3 greeting.py $(fluxs getattr tbon.endpoint))"
echo "rank 1 says: $(fluxs exec -r 1 sh -c "python3 greeting.py \$(fluxs getattr tbon.endpoint)")"
fluxs run -N4 -n4 true && echo "a job on four brokers ran"
EOF
test_expect_success 'a PMI-bootstrapped overlay is CURVE by default: every broker says so, and so does its socket' '
    fluxs start --test-size=4 -Stbon.topo=kary:2 bash curve.sh >out &&
    cat out &&
    cat >expected <<-\EOF &&
	tbon.curve:  4 on
	rank 0 says: CURVE
	rank 1 says: CURVE
	a job on four brokers ran
	EOF
    test_cmp expected out
'

test_expect_success 'tbon.curve=off turns it off (the socket says NULL); any other value is refused' '
    fluxs start --test-size=4 -Stbon.topo=kary:2 -Stbon.curve=off bash curve.sh >out &&
    test_grep "^tbon.curve:  4 off$" out &&
    test_grep "^rank 0 says: NULL$" out &&
    test_grep "^a job on four brokers ran$" out &&
    test_must_fail fluxs start --test-size=2 -Stbon.curve=maybe true 2>err &&
    test_grep "tbon.curve must be on or off" err
'

test_done
