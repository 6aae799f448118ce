#!/usr/bin/env bash
test_description='the KVS: fluxs kvs on multi-rank instances, fences, watches, eventlogs, persistence'
. "$(dirname "$0")/lib/test-lib.sh"

# rank_attr RANK NAME: the attribute NAME of the broker at RANK (routed there).
rank_attr() {
    fluxs_raw rpc --rank "$1" attr.get "{\"name\":\"$2\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"value\"])"
}
export -f rank_attr

# kvs_wait_watchers N: waits until the kvs module (on this rank, 0) has N watches.
kvs_wait_watchers() {
    while test "$(fluxs module stats -p watchers kvs)" -lt "$1"; do sleep 0.02; done
}
export -f kvs_wait_watchers

# kvs_run SIZE SCRIPT: runs the bash script SCRIPT (a file here) as the initial program
# of an instance of SIZE brokers in a kary:2 tree.
kvs_run() {
    fluxs start --test-size="$1" -Stbon.topo=kary:2 bash "$2"
}

# Each test's script is written here, before the test, so that it may quote freely.

cat >roundtrip.sh <<'EOF'
set -e
fluxs kvs put s=hello n=42 f=1.5 neg=-7 t=true z=null o='{"b":[1,2],"a":{"c":"x"}}' q='"42"' e= sp='a b=c'
fluxs kvs get s n f neg t z o q e sp
# An object is one value, not a directory.
fluxs kvs get o.a.c 2>&1 || true
fluxs kvs put -A s=' world' -A new=abc
fluxs kvs get s new
EOF
test_expect_success 'put/get round trip: strings, numbers, booleans, null, objects' '
    kvs_run 4 roundtrip.sh >out &&
    cat >expected <<-\EOF &&
	hello
	42
	1.5
	-7
	true
	null
	{"a":{"c":"x"},"b":[1,2]}
	42

	a b=c
	fluxs-kvs: error: o is not a directory
	hello world
	abc
	EOF
    test_cmp expected out
'

cat >leaf.sh <<'EOF'
set -e
fluxs kvs put from.zero='{"n":1}' text=hi
fluxs exec -r 3 fluxs kvs get from.zero text
leaf=$(rank_attr 3 local-uri)
FLUXS_URI=$leaf fluxs kvs put from.three=3
fluxs kvs get from.three
FLUXS_URI=$(rank_attr 2 local-uri) fluxs kvs get from.three
EOF
test_expect_success 'reads and writes from leaves see the same store as rank 0' '
    kvs_run 4 leaf.sh >out &&
    printf "{\"n\":1}\nhi\n3\n3\n" >expected &&
    test_cmp expected out
'

cat >version.sh <<'EOF'
set -e
leaf=$(rank_attr 3 local-uri)
v0=$(fluxs kvs version)
v1=$(fluxs kvs put -s c=1)
test "$v1" -eq $((v0 + 1))
test "$(FLUXS_URI=$leaf fluxs kvs version)" -ge "$v1"
v2=$(fluxs kvs put -s c=2)
FLUXS_URI=$leaf fluxs kvs get --version "$v2" c
# A read for a version not reached yet waits for it.
FLUXS_URI=$leaf fluxs kvs get --version $((v2 + 1)) c >waited &
reader=$!
FLUXS_URI=$leaf fluxs kvs wait $((v2 + 1)) >/dev/null &
waiter=$!
sleep 0.3
test ! -s waited
fluxs kvs put c=3
wait $reader
wait $waiter
cat waited
# -W waits for a key to be made.
FLUXS_URI=$leaf fluxs kvs get -W late >late.out &
reader=$!
sleep 0.3
test ! -s late.out
fluxs kvs put late=yes
wait $reader
cat late.out
EOF
test_expect_success 'get --version on a leaf sees the commit made on rank 0; wait and -W wait' '
    kvs_run 4 version.sh >out &&
    printf "2\n3\nyes\n" >expected &&
    test_cmp expected out
'

cat >watch.sh <<'EOF'
set -e
leaf=$(rank_attr 3 local-uri)
fluxs kvs put w=0
FLUXS_URI=$leaf fluxs kvs watch -c 51 w >watch.out &
watcher=$!
while ! test -s watch.out; do sleep 0.02; done
for i in $(seq 1 50); do fluxs kvs put w=$i; done
wait $watcher
EOF
test_expect_success 'a watcher on a leaf sees 1..50 in order while a loop puts them' '
    kvs_run 4 watch.sh &&
    seq 0 50 >expected &&
    test_cmp expected watch.out
'

cat >watch-dir.sh <<'EOF'
set -e
fluxs kvs watch -c 3 wd >wd.out &
watcher=$!
kvs_wait_watchers 1
fluxs kvs put wd.a=1
fluxs kvs put other=1
fluxs kvs put wd.a=2
fluxs kvs unlink wd.a
fluxs kvs put wd=done
wait $watcher
EOF
test_expect_success 'watch: nothing while missing, a directory as JSON, changes below it count' '
    kvs_run 2 watch-dir.sh &&
    printf "{\"a\":{\"value\":1}}\n{\"a\":{\"value\":2}}\n{}\n" >expected &&
    test_cmp expected wd.out
'

cat >fence.sh <<'EOF'
set -e
v0=$(fluxs kvs version)
fluxs exec -r 1-7 sh -c 'r=$(fluxs getattr rank); fluxs kvs put -s --fence f --nprocs 8 k.$r=$r' >ranks.out &
others=$!
sleep 0.5
# Seven of eight: nothing is applied yet.
test "$(fluxs kvs version)" -eq "$v0"
if fluxs kvs get k.1 2>/dev/null; then exit 1; fi
fluxs kvs put -s --fence f --nprocs 8 k.0=0 >rank0.out
wait $others
cat rank0.out ranks.out | sort | uniq -c | awk '{ print $1, ($2 == v + 1) ? "v+1" : $2 }' v=$v0
fluxs kvs version | awk '{ print ($1 == v + 1) ? "v+1" : $1 }' v=$v0
fluxs kvs ls -1 k | tr '\n' ' '; echo
EOF
test_expect_success 'a fence of 8 across ranks: one commit, one version for all, all keys at once' '
    kvs_run 8 fence.sh >out &&
    printf "8 v+1\nv+1\n0 1 2 3 4 5 6 7 \n" >expected &&
    test_cmp expected out
'

cat >dirs.sh <<'EOF'
set -e
fluxs kvs put d.a=1 d.b.c=x d.b.d='[1]' d.m='"line1\nline2"'
fluxs kvs mkdir d.e
echo "-- ls"; fluxs kvs ls -1 d
echo "-- ls root"; fluxs kvs ls
echo "-- ls -R"; fluxs kvs ls -R d
echo "-- dir"; fluxs kvs dir d
echo "-- dir -R"; fluxs kvs dir -R d
echo "-- unlink"
fluxs kvs unlink d.b 2>&1 || true
fluxs kvs unlink -R d.b
fluxs kvs unlink d.a d.e
fluxs kvs ls -1 d
fluxs kvs mkdir d.m
fluxs kvs dir -R d
echo "-- empty"
fluxs kvs ls d.m
echo "-- through a value"
fluxs kvs put v=1
fluxs kvs put v.x=2
fluxs kvs get v.x
EOF
test_expect_success 'ls, dir, unlink and mkdir' '
    kvs_run 4 dirs.sh >out &&
    cat >expected <<-\EOF &&
	-- ls
	a
	b.
	e.
	m
	-- ls root
	d.
	-- ls -R
	d:
	a
	b.
	e.
	m

	d.b:
	c
	d

	d.e:
	-- dir
	d.a = 1
	d.b.
	d.e.
	d.m = "line1\nline2"
	-- dir -R
	d.a = 1
	d.b.c = x
	d.b.d = [1]
	d.m = "line1\nline2"
	-- unlink
	fluxs-kvs: error: d.b is not empty (unlink it recursively)
	m
	-- empty
	-- through a value
	2
	EOF
    test_cmp expected out
'

cat >namespaces.sh <<'EOF'
set -e
fluxs kvs namespace create ns1
fluxs kvs namespace create -o 4242 ns2
fluxs kvs put -N ns1 a=in-ns1
fluxs kvs put a=in-primary
fluxs kvs get -N ns1 a
fluxs kvs get a
FLUXS_KVS_NAMESPACE=ns1 fluxs kvs get a
fluxs kvs version -N ns1
fluxs kvs version -N ns2
fluxs kvs namespace list | awk '{ print $1, $3 }'
fluxs kvs namespace list | awk '$1 == "ns2" { print $2 }'
fluxs kvs watch -N ns2 x >ns2.watch &
watcher=$!
kvs_wait_watchers 1
fluxs kvs namespace remove ns2
wait $watcher && echo watch-ended=$?
fluxs kvs namespace list | awk 'NR > 1 { print $1 }' | tr '\n' ' '; echo
EOF
test_expect_success 'namespaces: separate keys and versions, list, owner, remove ends watches' '
    kvs_run 4 namespaces.sh >out &&
    cat >expected <<-\EOF &&
	in-ns1
	in-primary
	in-ns1
	1
	0
	NAMESPACE VERSION
	ns1 1
	ns2 0
	primary 1
	4242
	watch-ended=0
	ns1 primary 
	EOF
    test_cmp expected out
'

cat >ns-errors.sh <<'EOF'
fluxs kvs get -N nope a; echo rc=$?
fluxs kvs put -N nope a=1; echo rc=$?
fluxs kvs namespace create dup
fluxs kvs namespace create dup; echo rc=$?
fluxs kvs namespace remove primary; echo rc=$?
fluxs kvs namespace remove gone; echo rc=$?
EOF
test_expect_success 'namespace errors are clear' '
    kvs_run 2 ns-errors.sh >out 2>err &&
    test $(grep -c "^rc=1$" out) -eq 5 &&
    test $(grep -c "^fluxs-kvs: error: namespace nope not found$" err) -eq 2 &&
    test_grep "^fluxs-kvs: error: namespace dup exists$" err &&
    test_grep "^fluxs-kvs: error: the primary namespace cannot be removed$" err &&
    test_grep "^fluxs-kvs: error: namespace gone not found$" err
'

cat >eventlog.sh <<'EOF'
set -e
leaf=$(rank_attr 3 local-uri)
fluxs kvs eventlog append -t 1700000000.25 log start
fluxs kvs eventlog append -t 1700000001.5 log step '{"n":1,"a":"x"}'
fluxs kvs eventlog append -t 1700000002 log empty '{}'
echo "-- get"; FLUXS_URI=$leaf fluxs kvs eventlog get log
echo "-- raw"; fluxs kvs get log
echo "-- wait-event present"; fluxs kvs eventlog wait-event log step
echo "-- wait-event later"
FLUXS_URI=$leaf fluxs kvs eventlog wait-event -q -t 20 log finish &
waiter=$!
FLUXS_URI=$leaf fluxs kvs eventlog wait-event -t 20 newlog made >made.out &
waiter2=$!
FLUXS_URI=$leaf fluxs kvs eventlog get -w -c 5 log >watched.out &
watcher=$!
sleep 0.3
fluxs kvs eventlog append -t 1700000003 log other
fluxs kvs eventlog append -t 1700000004 log finish
fluxs kvs eventlog append -t 1700000005 newlog made '{"by":0}'
wait $waiter && echo waiter=$?
wait $waiter2 && echo waiter2=$?
cat made.out
wait $watcher
echo "-- watched"; cat watched.out
echo "-- now"
fluxs kvs eventlog append log nowish
fluxs kvs eventlog get -c 1 log
fluxs kvs eventlog get log | tail -n 1 | awk '{ print ($1 > 1700000000 && NF == 2) ? "now ok" : $0 }'
EOF
test_expect_success 'eventlog append, get (-w -c), wait-event' '
    kvs_run 4 eventlog.sh >out &&
    cat >expected <<-\EOF &&
	-- get
	1700000000.25 start
	1700000001.5 step {"a":"x","n":1}
	1700000002.0 empty
	-- raw
	{"timestamp":1700000000.25,"name":"start"}
	{"timestamp":1700000001.5,"name":"step","context":{"a":"x","n":1}}
	{"timestamp":1700000002.0,"name":"empty","context":{}}
	-- wait-event present
	1700000001.5 step {"a":"x","n":1}
	-- wait-event later
	waiter=0
	waiter2=0
	1700000005.0 made {"by":0}
	-- watched
	1700000000.25 start
	1700000001.5 step {"a":"x","n":1}
	1700000002.0 empty
	1700000003.0 other
	1700000004.0 finish
	-- now
	1700000000.25 start
	now ok
	EOF
    test_cmp expected out
'

cat >wait-timeout.sh <<'EOF'
fluxs kvs eventlog append log start
start=$(date +%s%N)
fluxs kvs eventlog wait-event -t 0.5s log finish; echo rc=$?
echo elapsed-ms=$(( ($(date +%s%N) - start) / 1000000 ))
fluxs kvs eventlog wait-event -t 100ms nolog x; echo rc=$?
fluxs kvs put num=5 bad=junk
fluxs kvs eventlog get num; echo rc=$?
fluxs kvs eventlog get bad; echo rc=$?
fluxs kvs eventlog append log "" 2>/dev/null; echo rc=$?
fluxs kvs eventlog append log x '[1]' 2>&1 | tail -n 1
fluxs kvs eventlog wait-event -t 5x log x 2>&1 | tail -n 1
EOF
test_expect_success 'wait-event times out with exit 1 and a clear message; bad logs are named' '
    kvs_run 2 wait-timeout.sh >out 2>err &&
    cat >expected <<-\EOF &&
	fluxs-kvs: error: timed out waiting for finish in log
	fluxs-kvs: error: timed out waiting for x in nolog
	fluxs-kvs: error: num is not an eventlog: its value is an integer, not a string
	fluxs-kvs: error: bad: eventlog line 1: does not end with a newline
	EOF
    test_cmp expected err &&
    test "$(grep -c "^rc=1$" out)" -eq 4 &&
    test_grep "^rc=2$" out &&
    test_grep "^fluxs-kvs: error: context must be a JSON object, not array$" out &&
    test_grep "^fluxs-kvs: error: --timeout: duration \"5x\": unknown unit \"x\"$" out &&
    ms=$(sed -n "s/^elapsed-ms=//p" out) &&
    test "$ms" -ge 400 && test "$ms" -lt 5000
'

cat >errors.sh <<'EOF'
fluxs kvs put v=1 d.x=1
fluxs kvs get nope; echo rc=$?
fluxs kvs get d; echo rc=$?
fluxs kvs get v.x; echo rc=$?
fluxs kvs ls v; echo rc=$?
fluxs kvs ls nope; echo rc=$?
fluxs kvs unlink nope; echo rc=$?
fluxs kvs get a..b 2>&1 | tail -n 1
fluxs kvs get 'a b' 2>&1 | tail -n 1
fluxs kvs get .a 2>&1 | tail -n 1
fluxs kvs put foo 2>&1 | tail -n 1
fluxs kvs put x.=1 2>&1 | tail -n 1
fluxs kvs put .=1 2>&1 | tail -n 1
fluxs kvs put --fence f k=1 2>&1 | tail -n 1
fluxs kvs put --fence f --nprocs 0 k=1 2>&1 | tail -n 1
fluxs kvs put a..b=1 >/dev/null 2>&1; echo rc=$?
fluxs kvs get v
fluxs kvs put -A v=x; echo rc=$?
fluxs kvs put --fence g --nprocs 2 g.a=1 &
sleep 1
fluxs kvs put --fence g --nprocs 3 g.b=1; echo rc=$?
fluxs kvs put --fence g --nprocs 2 g.c=1
wait $!
fluxs kvs ls g | tr '\n' ' '; echo
EOF
test_expect_success 'errors: missing key, directory, not a directory, bad keys, bad arguments' '
    kvs_run 2 errors.sh >out 2>err &&
    cat >expected.err <<-\EOF &&
	fluxs-kvs: error: key nope not found
	fluxs-kvs: error: d is a directory
	fluxs-kvs: error: v is not a directory
	fluxs-kvs: error: v is not a directory
	fluxs-kvs: error: key nope not found
	fluxs-kvs: error: key nope not found
	fluxs-kvs: error: v is not a string
	fluxs-kvs: error: fence g was started with nprocs 2 in namespace primary
	EOF
    test_cmp expected.err err &&
    cat >expected <<-\EOF &&
	rc=1
	rc=1
	rc=1
	rc=1
	rc=1
	rc=1
	fluxs-kvs: error: invalid key "a..b": empty component
	fluxs-kvs: error: invalid key "a b": whitespace
	fluxs-kvs: error: invalid key ".a": empty component
	fluxs-kvs: error: "foo" is not KEY=VALUE
	fluxs-kvs: error: invalid key "x.": empty component
	fluxs-kvs: error: cannot put the root directory
	fluxs-kvs: error: --fence needs --nprocs
	fluxs-kvs: error: --nprocs must be 1 or more
	rc=2
	1
	rc=1
	rc=1
	a c 
	EOF
    test_cmp expected out
'

cat >letters.sh <<'EOF'
set -e
fluxs kvs put s=a
fluxs kvs put -A s=b
fluxs kvs put --append s=c
fluxs kvs put -a s=d
fluxs kvs get s
fluxs kvs get -w -c 1 s
fluxs kvs put w=1
fluxs kvs get --watch --count=2 w >w.out &
watcher=$!
kvs_wait_watchers 1
fluxs kvs put w=2
wait $watcher
cat w.out
fluxs kvs get -W -c 1 s 2>/dev/null || echo usage=$?
fluxs kvs get -w s t 2>/dev/null || echo usage=$?
fluxs kvs unlink -f nope s
fluxs kvs get s 2>&1 || echo rc=$?
fluxs kvs unlink nope 2>&1 || echo rc=$?
fluxs kvs unlink --force nope && echo forced
fluxs kvs put d.a=1 d.e.f=two d.g='{"x":1}'
fluxs kvs mkdir d.empty
fluxs kvs copy d c
fluxs kvs dir -R c
fluxs kvs ls c | tr '\n' ' '; echo
fluxs kvs copy d.a one
fluxs kvs get one
fluxs kvs namespace create other
fluxs kvs copy -D other d.e e
fluxs kvs get -N other e.f
fluxs kvs move -S other -D primary e moved
fluxs kvs get moved.f
fluxs kvs get -N other e 2>&1 || echo rc=$?
fluxs kvs move c c2
fluxs kvs get c 2>&1 || echo rc=$?
fluxs kvs get c2.e.f
fluxs kvs copy nope x 2>&1 || echo rc=$?
EOF
test_expect_success 'Flux letters: get -W, get -w/--watch, put -A, unlink -f; copy and move' '
    kvs_run 2 letters.sh >out &&
    cat >expected <<-\EOF &&
	abcd
	abcd
	1
	2
	usage=2
	usage=2
	fluxs-kvs: error: key s not found
	rc=1
	fluxs-kvs: error: key nope not found
	rc=1
	forced
	c.a = 1
	c.e.f = two
	c.g = {"x":1}
	a e. empty. g 
	1
	two
	two
	fluxs-kvs: error: key e not found
	rc=1
	fluxs-kvs: error: key c not found
	rc=1
	two
	fluxs-kvs: error: key nope not found
	rc=1
	EOF
    test_cmp expected out
'

test_expect_success 'outside an instance, kvs says so' '
    (unset FLUXS_URI; test_expect_code 1 fluxs kvs get a 2>err) &&
    test_grep "^fluxs-kvs: error: FLUXS_URI is not set" err
'

cat >persist1.sh <<'EOF'
set -e
fluxs kvs put p.a=1 p.b=two p.c='{"x":[1]}'
fluxs kvs namespace create keep
fluxs kvs put -N keep k=kept
fluxs kvs eventlog append -t 1700000000.5 p.log born
fluxs kvs version
EOF
cat >persist2.sh <<'EOF'
set -e
fluxs kvs get p.a p.b p.c
fluxs kvs get -N keep k
fluxs kvs eventlog get p.log
fluxs kvs version
EOF
test_expect_success 'persistence: a second start on the same statedir finds keys, versions, namespaces' '
    mkdir state &&
    fluxs start --test-size=2 -Sstatedir="$PWD/state" bash persist1.sh >first &&
    test -f state/kvs.sqlite &&
    fluxs start -Sstatedir="$PWD/state" bash persist2.sh >second &&
    printf "1\ntwo\n{\"x\":[1]}\nkept\n1700000000.5 born\n%s\n" "$(cat first)" >expected &&
    test_cmp expected second
'

cat >commit-loop.sh <<'EOF'
fluxs getattr broker.pid >broker.pid
echo $$ >loop.pid
i=0
while true; do
    i=$((i + 1))
    fluxs kvs put k.$i=$i 2>/dev/null || break
    echo $i >>recorded
done
EOF
cat >restart.sh <<'EOF'
set -e
fluxs kvs ls -1 k
fluxs kvs version >version
fluxs kvs get k.$(tail -n 1 recorded) >last
EOF
test_expect_success 'SIGKILL of rank 0 in a stream of commits loses no acknowledged commit' '
    mkdir crash &&
    fluxs start --test-size=4 -Stbon.topo=kary:2 -Stbon.timeout=1s -Sstatedir="$PWD/crash" bash commit-loop.sh &
    start=$! &&
    n=0 &&
    while test $(cat recorded 2>/dev/null | wc -l) -lt 30 && test $n -lt 400; do sleep 0.05; n=$((n + 1)); done &&
    test $(wc -l <recorded) -ge 30 &&
    kill -9 $(cat broker.pid) &&
    { wait $start; true; } &&
    n=0 &&
    while test_pid_alive $(cat loop.pid) && test $n -lt 200; do sleep 0.05; n=$((n + 1)); done &&
    ! test_pid_alive $(cat loop.pid) &&
    fluxs start -Sstatedir="$PWD/crash" bash restart.sh >present &&
    sort recorded >want && sort present >have &&
    comm -23 want have >lost &&
    test_cmp /dev/null lost &&
    test $(cat version) -ge $(wc -l <recorded) &&
    test "$(cat last)" = "$(tail -n 1 recorded)"
'

test_expect_success 'a corrupt kvs.sqlite stops the broker at start, naming the file' '
    mkdir bad &&
    head -c 8192 /dev/urandom >bad/kvs.sqlite &&
    printf "this is not a database" | dd of=bad/kvs.sqlite conv=notrunc 2>/dev/null &&
    test_must_fail fluxs start -Sstatedir="$PWD/bad" fluxs kvs version >out 2>err &&
    test_grep "bad/kvs.sqlite" err &&
    ! test_grep "^[0-9]" out 2>/dev/null
'

test_expect_success 'an SQLite file without the fluxs schema is refused too' '
    mkdir other &&
    python3 -c "import sqlite3; c = sqlite3.connect(\"other/kvs.sqlite\"); c.execute(\"create table t (x)\"); c.commit()" &&
    test_must_fail fluxs start -Sstatedir="$PWD/other" fluxs kvs version >out 2>err &&
    test_grep "other/kvs.sqlite" err
'
test_done
