#!/usr/bin/env bash
test_description='the resource service and fluxs resource: discovery, list, status, drain, configured R'
. "$(dirname "$0")/lib/test-lib.sh"

# rank_attr RANK NAME: the attribute NAME of the broker at RANK (routed there).
rank_attr() {
    fluxs_raw rpc --rank "$1" attr.get "{\"name\":\"$2\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"value\"])"
}
export -f rank_attr

# wait_up RANKS: waits (5 s at most) until the ranks up are RANKS. With a configured R the
# service answers before the brokers' hellos (rank 0's too) have arrived.
wait_up() {
    for i in $(seq 1 50); do
        test "$(fluxs resource list -s up -no "{ranks}")" = "$1" && return 0
        sleep 0.1
    done
    echo >&2 "wait_up: ranks up are not $1"; return 1
}
export -f wait_up

# write_R FILE NNODES CORES GPUS NODELIST: an R of NNODES identical nodes.
write_R() {
    python3 - "$@" <<-'EOF'
	import json, sys
	path, n, cores, gpus, nodelist = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
	children = {"core": cores}
	if gpus:
	    children["gpu"] = gpus
	R = {"version": 1, "execution": {"R_lite": [{"rank": "0-%d" % (n - 1), "children": children}],
	                                 "nodelist": [nodelist], "starttime": 0, "expiration": 0}}
	json.dump(R, open(path, "w"))
	EOF
}

ncores=$(hwloc-calc --number-of core machine:0)
npus=$(hwloc-calc --number-of pu machine:0)
[ "$npus" -ge 2 ] && command -v taskset >/dev/null && test_set_prereq MULTIPU

test_expect_success 'discovery: one node with the cores hwloc-calc and lstopo count' '
    fluxs start fluxs resource list -s all -no "{nnodes} {ncores} {ngpus} {nodelist}" >out &&
    echo "1 $ncores 0 $(hostname)" >expected &&
    test_cmp expected out &&
    test "$(lstopo-no-graphics --only core | wc -l)" -eq "$ncores" &&
    test "$ncores" -le "$(nproc --all)"
'
test_expect_success 'info and R describe the same node' '
    fluxs start sh -c "fluxs resource info; fluxs resource R" >out &&
    test "$(sed -n 1p out)" = "1 Nodes, $ncores Cores, 0 GPUs" &&
    sed -n 2p out | python3 -c "
import json, sys
R = json.load(sys.stdin)
assert R[\"version\"] == 1, R
assert R[\"execution\"][\"R_lite\"] == [{\"rank\": \"0\", \"children\": {\"core\": \"0-$((ncores - 1))\"}}], R
"
'
test_expect_success 'a test-size=4 instance lists 4 free nodes, all avail' '
    fluxs start --test-size=4 sh -c "fluxs resource list; fluxs resource status; fluxs resource info" >out &&
    test_grep "^     STATE NNODES   NCORES NODELIST$" out &&
    test_grep "^      free      4 *$((4 * ncores)) " out &&
    test_grep "^ allocated      0        0$" out &&
    test_grep "^      down      0        0$" out &&
    test_grep "^     avail  ✔      4 " out &&
    test_grep "^4 Nodes, $((4 * ncores)) Cores, 0 GPUs$" out
'
test_expect_success 'drain: the reason shows in drain and status; the node leaves free; undrain brings it back' '
    fluxs start --test-size=4 sh -c "
        fluxs resource drain 2 disk is failing
        fluxs resource drain
        fluxs resource status -o long
        fluxs resource list -no \"{state} {nnodes} {ranks}\" >before
        fluxs resource undrain 2
        fluxs resource list -no \"{state} {nnodes} {ranks}\" >after
        fluxs resource drain -n >still
    " >out &&
    test_grep "^TIME  *STATE  *REASON  *NODELIST$" out &&
    test_grep "^[A-Z][a-z][a-z][0-9][0-9] [0-9][0-9]:[0-9][0-9]  drained  disk is failing  " out &&
    test_grep "^   drained  ✔      1 disk is failing " out &&
    test_grep "^     avail  ✔      3 " out &&
    printf "free 3 0-1,3\nallocated 0\ndown 1 2\n" >expected &&
    test_cmp expected before &&
    printf "free 4 0-3\nallocated 0\ndown 0\n" >expected &&
    test_cmp expected after &&
    test_cmp /dev/null still
'
test_expect_success 'drain -f replaces the reason of a drained node' '
    fluxs start --test-size=2 sh -c "
        fluxs resource drain 1 first
        fluxs resource drain -f 1 second
        fluxs resource drain -no \"{ranks} {reason}\"
    " >out &&
    echo "1 second" >expected &&
    test_cmp expected out
'
test_expect_success 'drain fails on drained targets unless -f/-u; undrain TARGETS REASON, -f/-u; drain formats as Flux' '
    fluxs start --test-size=4 sh -c "
        fluxs resource drain 1 first
        fluxs resource drain 1-2 again; echo rc=\$?
        fluxs resource drain -no \"{ranks} {reason}\"
        fluxs resource drain 3
        fluxs resource drain -u 1-3 updated
        fluxs resource drain -no \"{ranks} {reason}\"
        fluxs resource drain -f 1 forced
        fluxs resource drain -fu 1 x; echo rc=\$?
        fluxs resource drain -no \"{ranks} {reason}\"
        fluxs resource undrain 0-1 back; echo rc=\$?
        fluxs resource undrain 1 back in service
        fluxs resource undrain 1; echo rc=\$?
        fluxs resource undrain -f 1 && echo forced
        fluxs resource undrain --update 0-3 all && echo updated
        fluxs resource drain -n | wc -l
        fluxs resource drain 2 a fan
        fluxs resource drain
        fluxs resource drain -o long
        fluxs resource drain -o short -n
    " >out 2>err &&
    sed -n 1,12p out >head &&
    cat >expected <<-\EOF &&
	rc=1
	1 first
	1 first
	2-3 updated
	rc=1
	1 forced
	2-3 updated
	rc=1
	rc=1
	forced
	updated
	0
	EOF
    test_cmp expected head &&
    cat >expected.err <<-\EOF &&
	fluxs-resource: error: rank 1 already drained
	fluxs-resource: Use --force to overwrite existing drain reason
	fluxs-resource: error: Only one of --force and --update may be specified
	fluxs-resource: error: rank 0 not drained
	fluxs-resource: error: rank 1 not drained
	EOF
    test_cmp expected.err err &&
    test_grep "^TIME  *STATE  *REASON  *NODELIST$" out &&
    test_grep "^[A-Z][a-z][a-z][0-9][0-9] [0-9][0-9]:[0-9][0-9]  drained  a fan  *[^ ]*$" out &&
    test_grep "^TIME  *STATE  *RANKS  *REASON  *NODELIST$" out &&
    test_grep "^[A-Z][a-z][a-z][0-9][0-9] [0-9][0-9]:[0-9][0-9]  drained  2        a fan  *[^ ]*$" out &&
    test $(grep -c "drained  a fan  " out) -eq 2
'
test_expect_success 'unknown targets and states give clear errors' '
    fluxs start --test-size=2 sh -c "
        fluxs resource drain 7 why; echo rc=\$?
        fluxs resource drain nosuchhost; echo rc=\$?
        fluxs resource undrain 1; echo rc=\$?
        fluxs resource drain \"n[1-\"; echo rc=\$?
        fluxs resource list -s bogus; echo rc=\$?
        fluxs resource list -o \"{bogus}\"; echo rc=\$?
    " >out 2>err &&
    test "$(grep -c "^rc=1$" out)" -eq 6 &&
    test_grep "^fluxs-resource: error: no such rank or host: 7$" err &&
    test_grep "^fluxs-resource: error: no such rank or host: nosuchhost$" err &&
    test_grep "^fluxs-resource: error: rank 1 not drained$" err &&
    test_grep "^fluxs-resource: error: .*neither an idset nor a hostlist" err &&
    test_grep "invalid resource state \"bogus\" (valid states: free,allocated,down,up,all)" err &&
    test_grep "unknown field \"bogus\"" err
'
test_expect_success 'a 1,024-node R from resource.path (noverify) loads and lists' '
    write_R big.json 1024 0-63 0-3 "node[0-1023]" &&
    fluxs start -Sresource.path="$PWD/big.json" -Sresource.noverify=1 bash -c "
        wait_up 0
        fluxs resource info
        fluxs resource list -s all -no \"{nnodes} {ncores} {ngpus} {nodelist}\"
        fluxs resource list
        fluxs resource status
    " >out &&
    test_grep "^1024 Nodes, 65536 Cores, 4096 GPUs$" out &&
    test_grep "^1024 65536 4096 node\[0-1023\]$" out &&
    test_grep "^      free      1       64        4 node0$" out &&
    test_grep "^      down   1023    65472     4092 node\[1-1023\]$" out &&
    test_grep "^     avail  ✔      1 node0$" out &&
    test_grep "^    avail\*  ✗   1023 node\[1-1023\]$" out
'
test_expect_success 'drain by hostlist and by idset in the 1,024-node R' '
    fluxs start -Sresource.path="$PWD/big.json" -Sresource.noverify=1 bash -c "
        wait_up 0
        fluxs resource drain \"node[5-6]\" rack 1
        fluxs resource drain 100-101,0 rack 2
        fluxs resource drain -no \"{state} {ranks} {nodelist} {reason}\"
        fluxs resource list -s free -no \"{nnodes}\"
    " >out &&
    cat >expected <<-EOF &&
	drained 0 node0 rack 2
	drained* 5-6 node[5-6] rack 1
	drained* 100-101 node[100-101] rack 2
	0
	EOF
    test_cmp expected out
'
test_expect_success 'a killed broker takes its rank down; the rest stays free' '
    fluxs start --test-size=4 -Stbon.topo=kary:2 -Stbon.timeout=2s bash -c "
        kill -9 \$(rank_attr 3 broker.pid)
        for i in \$(seq 1 100); do
            test \"\$(fluxs resource status -s offline -no \"{ranks}\")\" = 3 && break
            sleep 0.1
        done
        fluxs resource list -no \"{state} {nnodes} {ranks}\"
        fluxs resource status
    " >out 2>&1 &&
    test_grep "^free 3 0-2$" out &&
    test_grep "^down 1 3$" out &&
    test_grep "^     avail  ✔      3 " out &&
    test_grep "^    avail\*  ✗      1 " out
'
test_expect_success 'with a statedir, a drain survives a restart' '
    mkdir state &&
    fluxs start --test-size=2 -Sstatedir="$PWD/state" fluxs resource drain 1 kept across restarts &&
    fluxs start --test-size=2 -Sstatedir="$PWD/state" fluxs resource drain -no "{ranks} {reason}" >out &&
    echo "1 kept across restarts" >expected &&
    test_cmp expected out
'
test_expect_success 'a configured R with more cores than the machine drains the rank, saying what is missing' '
    write_R short.json 1 "0-$((ncores + 1))" "" "$(hostname)" &&
    fluxs start -Sresource.path="$PWD/short.json" sh -c "
        for i in \$(seq 1 50); do fluxs resource drain -n | grep -q . && break; sleep 0.1; done
        fluxs resource drain -no \"{ranks} {reason}\"
        fluxs resource list -s free -no \"{nnodes}\"
    " >out &&
    test_grep "^0 .*$((ncores + 2)).*missing" out &&
    test_grep "^0$" out
'
test_expect_success MULTIPU 'an instance pinned to one CPU sees one core' '
    taskset -c 0 fluxs start fluxs resource info >out &&
    echo "1 Nodes, 1 Cores, 0 GPUs" >expected &&
    test_cmp expected out
'
test_expect_success 'list --json gives each state as R; -o rlist shows the short form' '
    fluxs start --test-size=2 sh -c "fluxs resource drain 1; fluxs resource list --json; fluxs resource list -no rlist" >out &&
    python3 -c "
import json, sys
text = open(\"out\").read()
doc, end = json.JSONDecoder().raw_decode(text)
assert set(doc) == {\"free\", \"allocated\", \"down\"}, doc
assert doc[\"down\"][\"execution\"][\"R_lite\"][0][\"rank\"] == \"1\", doc
assert doc[\"allocated\"][\"execution\"][\"R_lite\"] == [], doc
" &&
    test_grep "^ *free  *1  *$ncores  *0 rank0/core" out &&
    test_grep "^ *down  *1  *$ncores  *0 rank1/core" out
'
test_done
