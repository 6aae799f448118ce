#!/usr/bin/env bash
test_description='nested instances: fluxs alloc (foreground, stdin, --bg), the child'"'"'s attributes and resources, fluxs batch (directives, output, arguments, --wrap, --dry-run), fluxs uri, fluxs proxy, fluxs pstree, three levels, and the lifetime of a child: cancel, time limit, a lost broker'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/jobs-lib.sh"

# Each test writes its script first, runs it as the initial program of a fresh instance
# of two brokers, and compares what a user would see. The children are real instances:
# their brokers are tasks of a job of that instance (one a node).

# tree_of PID...: the PIDs and all their live descendants, one a line (a child broker,
# its modules' helpers, its job shells and their tasks).
tree_of() {
    ps -e -o pid=,ppid= | awk -v roots="$*" '
        { parent[$1] = $2 }
        END {
            n = split(roots, r, " ")
            for (i = 1; i <= n; i++) keep[r[i]] = 1
            do {
                grew = 0
                for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 }
            } while (grew)
            for (p in keep) print p
        }'
}

# still_alive PID...: those of the PIDs that are alive.
still_alive() {
    local pid
    for pid in "$@"; do pid_alive "$pid" && echo "$pid"; done
    return 0
}

# wait_all_gone MARK PID...: waits (at most 10 s) until no process carries T0700_MARK=MARK
# and none of the PIDs is alive; prints what is left ("" when nothing).
wait_all_gone() {
    local mark=$1 i left
    shift
    for i in $(seq 100); do
        left="$(live_marked "$mark") $(still_alive "$@")"
        test -z "${left// /}" && return 0
        sleep 0.1
    done
    echo "$left"
    ps -o pid,ppid,args -p $left >&2
}

# settled: waits (at most 10 s) until the resource service of this instance has heard
# from every broker (so that anything it does about a broker's hardware is done).
settled() {
    local size i
    size=$(fluxs getattr size)
    for i in $(seq 200); do
        test "$(fluxs module stats resource | python3 -c 'import json,sys; print(json.load(sys.stdin)["hellos"])')" = "$size" && return 0
        sleep 0.05
    done
    echo >&2 "settled: the resource service has not heard from every broker"
    return 1
}
export -f tree_of still_alive wait_all_gone settled

ncores=$(hwloc-calc --number-of core machine:0)
[ "$ncores" -ge 2 ] && command -v taskset >/dev/null && test_set_prereq MULTICORE

# An R for two nodes, each with cores 0-1 and GPUs 0-1 (the parent runs with noverify).
python3 - "$TRASH_DIRECTORY/gpus.json" <<'EOF'
import json, sys
R = {"version": 1, "execution": {"R_lite": [{"rank": "0-1", "children": {"core": "0-1", "gpu": "0-1"}}],
                                 "nodelist": ["node[0-1]"], "starttime": 0, "expiration": 0}}
json.dump(R, open(sys.argv[1], "w"))
EOF

# MARK: - fluxs alloc

cat >alloc.sh <<'EOF'
fluxs alloc -N1 sh -c 'exit 7'; echo rc=$?
echo "fluxs getattr instance-level" | fluxs alloc -N1; echo rc=$?
printf 'echo from-stdin\nexit 4\n' | fluxs alloc -n1; echo rc=$?
fluxs alloc -N1 fluxs alloc -n1 fluxs getattr instance-level
fluxs alloc -n1 fluxs getattr jobid >jobid.child
fluxs jobs -a -n -o "{id.f58}" "$(fluxs job last)" >jobid.parent
fluxs exec -r 0 fluxs getattr local-uri >uri0
fluxs exec -r 1 fluxs getattr local-uri >uri1
fluxs alloc -N2 sh -c 'fluxs exec -r 0 fluxs getattr parent-uri; fluxs exec -r 1 fluxs getattr parent-uri' >parents
fluxs alloc -N2 fluxs exec -r all fluxs getattr tbon.curve >curve
EOF
test_expect_success 'fluxs alloc: CMD runs in the child and gives alloc its exit code; without CMD a shell reads stdin; the child knows its level, job id and parent on each node, and its overlay is CURVE' '
    run2 alloc.sh >out 2>err &&
    cat >expected <<-\EOF &&
	rc=7
	1
	rc=0
	from-stdin
	rc=4
	2
	EOF
    test_cmp expected out &&
    test_cmp jobid.parent jobid.child &&
    case $(cat jobid.child) in ƒ*) ;; *) echo "not an f58 id: $(cat jobid.child)"; false ;; esac &&
    test "$(cat uri0)" != "$(cat uri1)" &&
    cat uri0 uri1 >expected &&
    test_cmp expected parents &&
    printf "on\non\n" >expected &&
    test_cmp expected curve
'

cat >allocres.sh <<'EOF'
set -e -o pipefail
fluxs resource list -s free -n -o "{ncores}" >parent.ncores
fluxs alloc -N2 bash -c 'settled && fluxs resource list -n -o "{state} {nnodes} {ncores}" && fluxs run -N2 -n2 -l fluxs getattr rank | sort'
fluxs alloc -n1 bash -c 'settled && fluxs resource list -n -o "{state} {nnodes} {ncores}"'
fluxs alloc -N1 sh -c 'fluxs run -N2 true; echo N2=$?'
fluxs alloc -n1 sh -c 'fluxs run -n2 true; echo n2=$?'
fluxs alloc -n2 sh -c 'fluxs run -n2 true; echo n2=$?'
EOF
test_expect_success 'the child holds exactly the job'"'"'s resources: -N2 two whole nodes, -n1 one core; jobs inside cannot ask for more' '
    run2 allocres.sh >out 2>err &&
    c=$(cat parent.ncores) &&
    cat >expected <<-EOF &&
	free 2 $c
	allocated 0 0
	down 0 0
	0: 0
	1: 1
	free 1 1
	allocated 0 0
	down 0 0
	N2=1
	n2=1
	n2=0
	EOF
    test_cmp expected out &&
    test_grep "unsatisfiable" err
'

# A job of the parent holds one core; the child of -n1 gets another, and its jobs run there.
cat >allocbind.sh <<'EOF'
set -e -o pipefail
held=$(fluxs submit -n1 sleep 300)
fluxs job wait-event -q -t 20s "$held" start
fluxs alloc -n1 sh -c 'fluxs getattr jobid >child.id; fluxs run sh -c "taskset -p \$\$"; fluxs run --setopt=cpu-affinity=off sh -c "taskset -p \$\$"' >masks
fluxs job info "$(cat child.id)" R >child.R
fluxs job info "$held" R >held.R
fluxs cancel "$held"
EOF
test_expect_success MULTICORE 'jobs in a child of -n1 run on the one core the parent gave it, not on the core another job holds' '
    run2 allocbind.sh >out 2>err &&
    core=$(python3 -c "import json; print(json.load(open(\"child.R\"))[\"execution\"][\"R_lite\"][0][\"children\"][\"core\"])" ) &&
    held=$(python3 -c "import json; print(json.load(open(\"held.R\"))[\"execution\"][\"R_lite\"][0][\"children\"][\"core\"])" ) &&
    mask=$(hwloc-calc --taskset core:$core | sed "s/0x//; s/,//g; s/^0*//") &&
    heldmask=$(hwloc-calc --taskset core:$held | sed "s/0x//; s/,//g; s/^0*//") &&
    test "$mask" != "$heldmask" &&
    sed "s/.*: //; s/,//g; s/^0*//" masks >got &&
    printf "%s\n%s\n" "$mask" "$mask" >expected &&
    test_cmp expected got
'

cat >allocgpu.sh <<'EOF'
set -e -o pipefail
fluxs alloc -n1 -g1 bash -c 'settled && fluxs resource list -s all -n -o "{nnodes} {ncores} {ngpus}" && fluxs run -g1 printenv CUDA_VISIBLE_DEVICES && { fluxs run -g2 true; echo g2=$?; }'
EOF
test_expect_success 'on an R with GPUs, the child of -n1 -g1 holds one node, one core, one GPU; its job gets the GPU and cannot ask for two' '
    run2 allocgpu.sh -Sresource.path="$TRASH_DIRECTORY/gpus.json" -Sresource.noverify=1 >out 2>err &&
    cat >expected <<-\EOF &&
	1 1 1
	0
	g2=1
	EOF
    test_cmp expected out
'

cat >allocgpuN.sh <<'EOF'
set -e -o pipefail
fluxs alloc -N1 -g1 bash -c 'settled && fluxs resource list -s all -n -o "{nnodes} {ngpus}"'
EOF
# -N takes whole nodes (as in flux-core's alloc and batch): the child gets every GPU of
# its node, whatever -g says (-n1 -g1 above is the way to one GPU).
test_expect_success 'on an R with GPUs, fluxs alloc -N1 -g1 takes the whole node: one node, both GPUs' '
    run2 allocgpuN.sh -Sresource.path="$TRASH_DIRECTORY/gpus.json" -Sresource.noverify=1 >out 2>err &&
    echo "1 2" >expected &&
    test_cmp expected out
'

# The parent was told not to check its R against the hardware; the child's R comes from
# the parent's job (as in flux-core, which does not drain a child's ranks for R it got
# from its job), so the child's node must be free, not drained or down.
cat >allocgpufree.sh <<'EOF'
set -e -o pipefail
fluxs alloc -n1 -g1 bash -c 'settled && fluxs resource list -n -o "{state} {nnodes} {ncores} {ngpus} {nodelist}"'
EOF
test_expect_success 'on an R with GPUs (parent started with noverify), the child'"'"'s node stays free once every broker has reported' '
    run2 allocgpufree.sh -Sresource.path="$TRASH_DIRECTORY/gpus.json" -Sresource.noverify=1 >out 2>err &&
    cat >expected <<-\EOF &&
	free 1 1 1 node0
	allocated 0 0 0
	down 0 0 0
	EOF
    test_cmp expected out &&
    ! grep -i drain err
'

# MARK: - fluxs alloc --bg, fluxs jobs, fluxs uri, fluxs proxy

cat >bg.sh <<'EOF'
set -e -o pipefail
id=$(fluxs alloc --bg -N1 --job-name=bgjob)
echo "$id" >id
fluxs proxy "$id" fluxs run fluxs getattr instance-level
plain=$(fluxs submit -N1 --job-name=plain sleep 300)
fluxs job wait-event -q -t 20s "$plain" start
fluxs getattr hostname >host
fluxs jobs -n -o "{name} {status} {instance}|{contextual_info}" "$id" "$plain"
fluxs jobs -n -o "{uri}" "$id" >uri.jobs
fluxs uri "$id" >uri
fluxs uri --remote "$id" >remote
fluxs proxy "$id" fluxs getattr local-uri >uri.child
fluxs proxy "$id" fluxs getattr hostname >host.child
fluxs proxy "$id" fluxs getattr jobid
fluxs proxy "$id" sh -c 'echo FLUXS_URI=$FLUXS_URI' >uri.env
rc=0; fluxs proxy "$id" sh -c 'exit 5' || rc=$?
echo proxy=$rc
fluxs cancel "$plain"
EOF
test_expect_success 'alloc --bg prints the id of a ready child and leaves it running; fluxs jobs marks it an instance; uri and proxy reach it' '
    run2 bg.sh >out 2>err &&
    id=$(cat id) && host=$(cat host) &&
    case $id in ƒ*) ;; *) echo "not an f58 id: $id"; false ;; esac &&
    cat >expected <<-EOF &&
	1
	bgjob RUN yes|instance:$host
	plain RUN |$host
	$id
	proxy=5
	EOF
    test_cmp expected out &&
    uri=$(cat uri) &&
    case $uri in local://*) ;; *) echo "not a local URI: $uri"; false ;; esac &&
    test_cmp uri uri.jobs &&
    test_cmp uri uri.child &&
    echo "FLUXS_URI=$uri" >expected &&
    test_cmp expected uri.env &&
    echo "ssh://$(cat host.child)${uri#local://}" >expected &&
    test_cmp expected remote
'

cat >uri.sh <<'EOF'
a=$(fluxs alloc --bg -N1)
b=$(fluxs proxy "$a" fluxs alloc --bg -n1)
fluxs uri "$a/$b" >uri.ab
fluxs proxy "$a" fluxs uri "$b" >uri.b
fluxs proxy "$a" fluxs proxy "$b" fluxs getattr local-uri >uri.child
fluxs proxy "$a" fluxs proxy "$b" fluxs getattr instance-level
fluxs proxy "$a/$b" fluxs getattr jobid | sed "s/^$b\$/b/"
plain=$(fluxs submit -n1 true)
fluxs job wait-event -q -t 20s "$plain" clean
over=$(fluxs alloc --bg -n1)
fluxs cancel "$over"
fluxs job wait-event -q -t 20s "$over" clean
fluxs uri "$plain" >/dev/null 2>err.plain; echo plain=$?
fluxs uri "$over" >/dev/null 2>err.over; echo over=$?
fluxs proxy "$over" true 2>err.proxy; echo proxy=$?
fluxs uri 123456789 >/dev/null 2>err.unknown; echo unknown=$?
fluxs uri "$a/$plain" >/dev/null 2>err.deep; echo deep=$?
EOF
test_expect_success 'fluxs uri A/B goes down through levels; errors for a job that is not an instance, that is not running, an unknown id' '
    run2 uri.sh >out 2>err &&
    cat >expected <<-\EOF &&
	2
	b
	plain=1
	over=1
	proxy=1
	unknown=1
	deep=1
	EOF
    test_cmp expected out &&
    test_cmp uri.child uri.ab &&
    test_cmp uri.child uri.b &&
    test_grep "^fluxs-uri: error: ƒ[^ ]* is not an instance" err.plain &&
    test_grep "^fluxs-uri: error: ƒ[^ ]* is not running" err.over &&
    test_grep "^fluxs-proxy: error: ƒ[^ ]* is not running" err.proxy &&
    test_grep "^fluxs-uri: error: unknown job id" err.unknown &&
    test_grep "^fluxs-uri: error: unknown job id" err.deep
'

# MARK: - fluxs shutdown TARGET, fluxs uri --wait, timeleft in a child

cat >shutdown.sh <<'EOF'
a=$(fluxs alloc --bg -N1)
fluxs shutdown --quiet "$a"; echo shutdown=$?
fluxs job wait-event -q -t 30s "$a" clean; echo clean=$?
fluxs jobs -n -o "{status}" "$a"
b=$(fluxs batch -n1 --urgency=hold --output=held-batch.out --wrap sleep 300)
fluxs uri "$b" 2>err.nowait; echo nowait=$?
fluxs uri --wait "$b" >uri.b &
fluxs job release "$b"
wait $!; echo wait=$?
fluxs shutdown --background "$(cat uri.b)"; echo background=$?
fluxs job wait-event -q -t 30s "$b" clean; echo clean=$?
c=$(fluxs submit --urgency=hold true)
fluxs uri --wait "$c" 2>err.c &
fluxs cancel "$c"
wait $!; echo cancelled=$?
fluxs alloc -N1 -t 10m fluxs job timeleft >child.left
fluxs shutdown "$c" 2>err.plain; echo plain=$?
EOF
test_expect_success 'fluxs shutdown ID ends an alloc --bg instance; --background with a URI; uri --wait waits for a pending instance; timeleft in a child' '
    run2 shutdown.sh >out 2>err &&
    cat >expected <<-\EOF &&
	shutdown=0
	clean=0
	COMPLETED
	nowait=1
	wait=0
	background=0
	clean=0
	cancelled=1
	plain=1
	EOF
    test_cmp expected out &&
    test_grep "is not an instance" err.nowait &&
    test_grep "^local://" uri.b &&
    test_grep "^fluxs-uri: error: ƒ[^ ]*: " err.c &&
    test_grep "^fluxs-shutdown: error: ƒ[^ ]* is not an instance" err.plain &&
    test $(cat child.left) -ge 500 && test $(cat child.left) -le 600
'

# MARK: - fluxs pstree

cat >pstree.sh <<'EOF'
set -e -o pipefail
done=$(fluxs submit --job-name=done true)
fluxs job wait-event -q -t 20s "$done" clean
a=$(fluxs alloc --bg -N1 --job-name=outer)
b=$(fluxs proxy "$a" fluxs alloc --bg -n1 --job-name=inner)
leaf=$(fluxs proxy "$a/$b" fluxs submit --job-name=leaf sleep 300)
fluxs proxy "$a/$b" fluxs job wait-event -q -t 20s "$leaf" start
side=$(fluxs submit -n1 --job-name=side sleep 300)
fluxs job wait-event -q -t 20s "$side" start
echo "s/$a/A/; s/$b/B/; s/$leaf/LEAF/; s/$side/SIDE/; s/$done/DONE/" >ids.sed
echo plain; fluxs pstree
echo x; fluxs pstree -x | sed -f ids.sed
echo a; fluxs pstree -a
echo L1; fluxs pstree -L 1
echo L2; fluxs pstree -L 2
echo target; fluxs pstree "$a"
fluxs cancel "$side"
EOF
test_expect_success 'fluxs pstree draws the instances and their jobs; -x adds ids and states, -a inactive jobs, -L limits the depth, TARGET starts lower' '
    run2 pstree.sh >out 2>err &&
    cat >expected <<-\EOF &&
	plain
	.
	├── outer
	│   └── inner
	│       └── leaf
	└── side
	x
	.
	├── A outer RUN
	│   └── B inner RUN
	│       └── LEAF leaf RUN
	└── SIDE side RUN
	a
	.
	├── done
	├── outer
	│   └── inner
	│       └── leaf
	└── side
	L1
	.
	├── outer
	└── side
	L2
	.
	├── outer
	│   └── inner
	└── side
	target
	.
	└── inner
	    └── leaf
	EOF
    test_cmp expected out
'

# MARK: - fluxs batch

# Directives (RFC 36) may follow other comments; a directive after the script's first
# command would be an error (t0004). The script starts a job of its own in the child,
# which must end with it.
cat >job.sh <<'EOF'
#!/bin/sh
# a comment before the directives

# fluxs: -N2
# fluxs: -t 1m --job-name=from-directive
printf '[%s]' "$@"; echo
fluxs getattr instance-level
fluxs resource list -s all -n -o "{nnodes}"
fluxs submit --env=T0700_MARK=$1 sleep 300 >/dev/null
echo to-stderr >&2
exit 3
EOF
cat >batch.sh <<'EOF'
set -e -o pipefail
mkdir sub
cd sub
mark=batch-$$
fluxs batch ../job.sh $mark "b c" >ids
id=$(cat ids)
fluxs job wait-event -q -t 20s "$id" clean
fluxs jobs -a -n -o "{name} {nnodes} {duration} {status} {returncode}" "$id"
echo left=$(wait_all_gone $mark)
cl=$(fluxs batch -N1 --job-name=cli -t 2m ../job.sh $mark-2)
fluxs job wait-event -q -t 20s "$cl" clean
fluxs jobs -a -n -o "{name} {nnodes} {duration} {status} {returncode}" "$cl"
echo left=$(wait_all_gone $mark-2)
cd ..
echo "s/$id/ID/; s/$cl/CL/; s/$mark/MARK/" >ids.sed
EOF
test_expect_success 'fluxs batch: prints the id; directives (RFC 36; the command line wins); the arguments; output in fluxs-ID.out of the submit dir; the child ends with the script, whose code is the job'"'"'s' '
    run2 batch.sh >out 2>err &&
    cat >expected <<-\EOF &&
	from-directive 2 60.0 FAILED 3
	left=
	cli 1 120.0 FAILED 3
	left=
	EOF
    test_cmp expected out &&
    test $(wc -l <sub/ids) = 1 &&
    id=$(cat sub/ids) &&
    case $id in ƒ*) ;; *) echo "not an f58 id: $id"; false ;; esac &&
    sed -f ids.sed sub/fluxs-$id.out >got &&
    grep -v to-stderr got >got.stdout &&
    cat >expected <<-\EOF &&
	[MARK][b c]
	1
	2
	EOF
    test_cmp expected got.stdout &&
    test_grep "^to-stderr$" got &&
    ls sub/fluxs-*.out | wc -l >count &&
    echo 2 >expected &&
    test_cmp expected count &&
    ! ls fluxs-*.out 2>/dev/null
'

cat >slots.sh <<'EOF'
set -e -o pipefail
fluxs alloc -v --nslots=2 --cores-per-slot=1 fluxs resource list -s all -n -o "{ncores}" 2>alloc.err
sed "s/ƒ.*/ID/" alloc.err
id=$(fluxs alloc --bg -v -N1 2>bg.err)
sed "s/^ƒ[^:]*: [0-9.]*s:/ID: Ts:/" bg.err
fluxs shutdown "$id" >/dev/null 2>&1
printf '#!/bin/sh\n: flux: --nslots=2 # two slots\nfluxs resource list -s all -n -o "{ncores}"\n' >colon.sh
kvs=$(fluxs batch --output=kvs colon.sh)
fluxs job attach "$kvs"
find . -maxdepth 1 -name "fluxs-*.out" | wc -l
EOF
test_expect_success 'alloc -v prints the job id (with --bg the steps); --nslots and --cores-per-slot; batch --output=kvs and a directive with another prefix' '
    run2 slots.sh >out 2>err &&
    cat >expected <<-\EOF &&
	2
	jobid: ID
	ID: Ts: waiting for resources
	ID: Ts: ready
	2
	0
	EOF
    test_cmp expected out
'

printf 'echo no-interpreter\n' >nobang.sh
cat >batchmore.sh <<'EOF'
set -e -o pipefail
id=$(fluxs batch -n1 --wrap sh -c 'echo wrapped "$0"' "x y")
fluxs job wait-event -q -t 20s "$id" clean
cat fluxs-$id.out
fluxs jobs -a -n -o "{status} {returncode}" "$id"
rc=0; fluxs batch nobang.sh 2>nobang.err || rc=$?
echo nobang=$rc
fluxs batch --dry-run --job-name=dry job.sh arg1 >spec.json
fluxs jobs -a -n | wc -l
EOF
test_expect_success 'fluxs batch --wrap runs a command as the script; a script without #! is refused; --dry-run prints the jobspec and submits nothing' '
    run2 batchmore.sh >out 2>err &&
    cat >expected <<-\EOF &&
	wrapped x y
	COMPLETED 0
	nobang=1
	1
	EOF
    test_cmp expected out &&
    test_grep "^fluxs-batch: error: .*#!" nobang.err &&
    python3 - spec.json job.sh >summary <<-\EOF &&
	import json, sys
	j = json.load(open(sys.argv[1]))
	s = j["attributes"]["system"]
	r = j["resources"][0]
	print(s["job"]["name"], s["duration"], r["type"], r["count"])
	print(s["files"]["script"]["data"] == open(sys.argv[2]).read())
	print(j["tasks"][0]["command"][-2:])
	EOF
	cat >expected <<-\EOF &&
	dry 60 node 2
	True
	['"'"'{{tmpdir}}/script'"'"', '"'"'arg1'"'"']
	EOF
    test_cmp expected summary
'

# MARK: - Three levels

# top (level 0) -> batch outer.sh (1) -> alloc middle (2) -> alloc bottom (3) -> a job
# that prints its instance level and waits for the go file.
cat >outer.sh <<'EOF'
#!/bin/sh
# fluxs: -N1 --job-name=outer
fluxs getattr instance-level
fluxs alloc -N1 --job-name=middle sh middle.sh
EOF
cat >middle.sh <<'EOF'
fluxs getattr instance-level
fluxs alloc -n1 --job-name=bottom sh bottom.sh
EOF
cat >bottom.sh <<'EOF'
fluxs run --job-name=leaf sh -c 'fluxs getattr instance-level; echo ready >ready3; for i in $(seq 400); do test -e go && exit 0; sleep 0.05; done; exit 1'
EOF
cat >three.sh <<'EOF'
set -e -o pipefail
id=$(fluxs batch outer.sh)
wait_for_file ready3
echo tree; fluxs pstree
echo L3; fluxs pstree -L 3
touch go
fluxs job wait-event -q -t 30s "$id" clean
fluxs jobs -a -n -o "{status} {returncode}" "$id"
cat fluxs-$id.out
EOF
test_expect_success 'three levels: a batch script runs alloc, whose shell runs alloc, whose job sees instance-level 3; pstree from the top shows them all' '
    run2 three.sh >out 2>err &&
    cat >expected <<-\EOF &&
	tree
	.
	└── outer
	    └── middle
	        └── bottom
	            └── leaf
	L3
	.
	└── outer
	    └── middle
	        └── bottom
	COMPLETED 0
	1
	2
	3
	EOF
    test_cmp expected out
'

# MARK: - Lifetime

# The child's jobs ignore SIGTERM in part and leave children of their own; every task
# process carries T0700_MARK. The child's brokers and everything under them are
# recorded before the cancel.
cat >cancel.sh <<'EOF'
set -e -o pipefail
mark=cancel-$$
id=$(fluxs alloc --bg -N2)
fluxs proxy "$id" fluxs exec -r all sh -c 'echo $(fluxs getattr broker.pid) $(fluxs getattr rundir)' >brokers
inner=$(fluxs proxy "$id" fluxs submit -N2 -n4 --env=T0700_MARK=$mark sh -c 'sleep 300 & (trap "" TERM; exec sleep 300) & echo up >up$FLUXS_TASK_RANK; wait')
for r in 0 1 2 3; do wait_for_file up$r; done
pending=$(fluxs proxy "$id" fluxs submit -N2 --env=T0700_MARK=$mark sleep 300)
echo before=$(live_marked $mark | wc -l)
tree_of $(awk '{print $1}' brokers) >tree
echo brokers=$(wc -l <brokers)
fluxs cancel "$id"
fluxs job wait-event -q -t 30s "$id" clean
fluxs jobs -a -n -o "{status} {exception.type}" "$id"
echo left=$(wait_all_gone $mark $(cat tree))
fluxs run -N2 echo parent-serves
EOF
test_expect_success 'fluxs cancel of an instance job ends the child: its brokers, its jobs and every process of them; the parent goes on' '
    run2 cancel.sh >out 2>err &&
    cat >expected <<-\EOF &&
	before=12
	brokers=2
	CANCELED cancel
	left=
	parent-serves
	parent-serves
	EOF
    test_cmp expected out
'

# A broker removes its run directory (its socket, under TMPDIR) when it ends, as the
# brokers of fluxs start do, and a job shell its job's directory (FLUXS_JOB_TMPDIR);
# those of the child and of its jobs must not be left behind either.
cat >rundir.sh <<'EOF'
set -e -o pipefail
id=$(fluxs alloc --bg -N2)
fluxs proxy "$id" fluxs exec -r all sh -c 'echo $(fluxs getattr broker.pid) $(fluxs getattr rundir)' >brokers
fluxs proxy "$id" fluxs submit -N2 sh -c 'echo $FLUXS_JOB_TMPDIR >jobdir$FLUXS_TASK_RANK; sleep 300' >/dev/null
wait_for_file jobdir0
wait_for_file jobdir1
for d in $(awk '{print $2}' brokers); do test -S "$d/local" && echo socket-there; done
for d in $(cat jobdir0 jobdir1); do test -d "$d" && echo jobdir-there; done
fluxs cancel "$id"
fluxs job wait-event -q -t 30s "$id" clean
echo left=$(wait_all_gone none $(awk '{print $1}' brokers))
for d in $(awk '{print $2}' brokers); do test -e "$d" && echo "rundir left: $d"; done
for d in $(cat jobdir0 jobdir1); do test -e "$d" && echo "job directory left: $d"; done
true
EOF
test_expect_success 'fluxs cancel of an instance job leaves no run directory of its brokers and no directory of its jobs behind' '
    run2 rundir.sh >out 2>err &&
    cat >expected <<-\EOF &&
	socket-there
	socket-there
	jobdir-there
	jobdir-there
	left=
	EOF
    test_cmp expected out
'

# One child from alloc --bg, one from batch (its script waits), both with 3 s to live.
cat >tlbatch.sh <<'EOF'
#!/bin/sh
# fluxs: -N1 -t 3s
fluxs submit --env=T0700_MARK=$1 sleep 300 >/dev/null
fluxs getattr broker.pid >batch.pid
sleep 300
EOF
cat >timelimit.sh <<'EOF'
set -e -o pipefail
mark=tl-$$
bg=$(fluxs alloc --bg -N1 -t 3s)
fluxs proxy "$bg" fluxs submit --env=T0700_MARK=$mark sleep 300 >/dev/null
fluxs proxy "$bg" fluxs getattr broker.pid >bg.pid
b=$(fluxs batch tlbatch.sh $mark)
wait_for_file batch.pid
for i in $(seq 100); do test "$(live_marked $mark | wc -l)" -ge 2 && break; sleep 0.1; done
echo before=$(live_marked $mark | wc -l)
tree_of $(cat bg.pid batch.pid) >tree
fluxs job wait-event -q -t 30s "$bg" clean
fluxs job wait-event -q -t 30s "$b" clean
fluxs jobs -a -n -o "{status} {exception.type}" "$bg" "$b"
echo left=$(wait_all_gone $mark $(cat tree))
EOF
test_expect_success 'a time limit on alloc --bg or on a batch job ends the child and its jobs' '
    run2 timelimit.sh >out 2>err &&
    cat >expected <<-\EOF &&
	before=2
	TIMEOUT timeout
	TIMEOUT timeout
	left=
	EOF
    test_cmp expected out
'

cat >lost.sh <<'EOF'
set -e -o pipefail
mark=lost-$$
id=$(fluxs alloc --bg -N2)
fluxs proxy "$id" fluxs submit -N2 --env=T0700_MARK=$mark sleep 300 >/dev/null
pid0=$(fluxs proxy "$id" fluxs exec -r 0 fluxs getattr broker.pid)
pid1=$(fluxs proxy "$id" fluxs exec -r 1 fluxs getattr broker.pid)
for i in $(seq 100); do test "$(live_marked $mark | wc -l)" -ge 2 && break; sleep 0.1; done
echo before=$(live_marked $mark | wc -l)
tree_of $pid0 $pid1 >tree
kill -9 $pid1
fluxs job wait-event -q -t 30s "$id" clean
fluxs jobs -a -n -o "{status} {exception.type}" "$id"
fluxs jobs -a -n -o "{exception.note}" "$id" >note
echo left=$(wait_all_gone $mark $(cat tree))
fluxs run -N2 echo parent-serves
EOF
test_expect_success 'a child that loses a broker (kill -9) ends its job with an exec exception naming the task; nothing of it is left; the parent goes on' '
    run2 lost.sh >out 2>err &&
    cat >expected <<-\EOF &&
	before=2
	FAILED exec
	left=
	parent-serves
	parent-serves
	EOF
    test_cmp expected out &&
    test_grep "^fluxs-shell\[1\]: .*\(task\|rank\) 1\b" note
'

cat >enclosing.sh <<'EOF'
id=$(fluxs batch -N2 --output=enclosing.out --wrap sh -c 'env | grep -E "^(FLUXS_(JOB|TASK)_|FLUXS_KVS_NAMESPACE|MPI_LOCAL|PMI)" | sort; echo end')
fluxs job wait $id && cat enclosing.out
EOF
test_expect_success 'a batch script has none of the variables of the broker'"'"'s own task or job (PMI_*, FLUXS_TASK_*, FLUXS_JOB_*), as in Flux' '
    run2 enclosing.sh >out 2>err &&
    echo end >expected &&
    test_cmp expected out
'

test_done
