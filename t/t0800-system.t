#!/usr/bin/env bash
test_description='system instance: conf.d configuration, its errors, fluxs config get, fluxs keygen, a three-node CURVE instance in network namespaces, a broker without the certificate, a node restarted, the instance restarted from its statedir'
# Tests here act as other uids: a trash directory and programs they can reach.
FLUXS_TEST_OTHER_UIDS=t
. "$(dirname "$0")/lib/test-lib.sh"

# The three-node tests need root (network namespaces, hostnames) and iproute2; they make
# their namespaces (TAG-br holding a bridge, TAG-0..2 the nodes, 10.77.0.1-3) and remove
# them when they end.
command -v ip >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 && test_have_prereq ROOT &&
    ip netns add fxs-probe-$$ 2>/dev/null && ip netns delete fxs-probe-$$ && test_set_prereq NETNS

BROKER=$(command -v fluxs-broker)

# net_up TAG: the bridge namespace and three node namespaces.
net_up() {
    local tag=$1 i
    ip netns add $tag-br && ip -n $tag-br link add br0 type bridge && ip -n $tag-br link set br0 up || return 1
    for i in 0 1 2; do
        ip netns add $tag-$i &&
        ip link add $tag-v$i type veth peer name $tag-p$i &&
        ip link set $tag-v$i netns $tag-$i && ip link set $tag-p$i netns $tag-br &&
        ip -n $tag-br link set $tag-p$i master br0 && ip -n $tag-br link set $tag-p$i up &&
        ip -n $tag-$i link set lo up && ip -n $tag-$i addr add 10.77.0.$((i + 1))/24 dev $tag-v$i &&
        ip -n $tag-$i link set $tag-v$i up || return 1
    done
}

# net_down TAG: removes the namespaces (their veths go with them).
net_down() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$1-"); do ip netns delete $ns; done
}

# node TAG I CONFDIR [BROKER ARGS]: broker I in its namespace with hostname nodeI.
node() {
    local tag=$1 i=$2 conf=$3
    shift 3
    ip netns exec $tag-$i unshare --uts sh -c "hostname node$i; echo \$\$ >$TRASH_DIRECTORY/pid-$tag-$i; exec $BROKER --config-path=$conf \"\$@\"" node "$@"
}

# conf DIR CERT: a conf.d for the three nodes, the overlay encrypted with CERT.
conf() {
    mkdir -p "$1" &&
    # Each node has its own address: one entry each.
    cat >"$1/bootstrap.toml" <<-EOF
	[bootstrap]
	curve_cert = "$2"
	default_port = 8050
	hosts = [
	    { host = "node0", connect = "tcp://10.77.0.1:%p" },
	    { host = "node1", connect = "tcp://10.77.0.2:%p" },
	    { host = "node2", connect = "tcp://10.77.0.3:%p" },
	]
	EOF
    cat >"$1/tbon.toml" <<-EOF
	[tbon]
	topo = "kary:2"
	[exec]
	kill-timeout = "2s"
	EOF
    # The resources are configured, as on a real system: ranks that have not joined
    # are down, not waited for.
    cat >"$1/resource.toml" <<-EOF
	[resource]
	path = "$TRASH_DIRECTORY/R.json"
	noverify = true
	EOF
    echo '{"version": 1, "execution": {"R_lite": [{"rank": "0-2", "children": {"core": "0-1"}}], "nodelist": ["node[0-2]"], "starttime": 0, "expiration": 0}}' >"$TRASH_DIRECTORY/R.json"
}

test_expect_success 'fluxs keygen writes a private certificate and never over an existing file' '
    fluxs keygen --name=mgmt0 cert &&
    test "$(stat -c %a cert)" = 600 &&
    grep -q "^    name = \"mgmt0\"" cert &&
    grep -Eq "^    public-key = \".{40}\"" cert &&
    grep -Eq "^    secret-key = \".{40}\"" cert &&
    cp cert cert.before &&
    test_expect_code 1 fluxs keygen cert 2>err &&
    test_grep "fluxs-keygen: error: cert exists" err &&
    test_cmp cert.before cert &&
    fluxs keygen other && ! cmp -s cert other
'

test_expect_success 'a configuration is merged over its files and shown by fluxs config get; it sets attributes' '
    mkdir -p one.d &&
    printf "[exec]\nkill-timeout = \"3s\"\n[tbon]\ntopo = \"kary:4\"\n" >one.d/a.toml &&
    printf "[access]\nallow-guest-user = true\n" >one.d/b.toml &&
    printf "ignored: not a .toml file\n" >one.d/README &&
    fluxs-broker --config-path=$PWD/one.d sh -c "fluxs config get; fluxs config get exec.kill-timeout; fluxs getattr job-exec.kill-timeout; fluxs config get tbon.nothing" >out 2>err;
    echo "{\"access\":{\"allow-guest-user\":true},\"exec\":{\"kill-timeout\":\"3s\"},\"tbon\":{\"topo\":\"kary:4\"}}" >expected &&
    echo 3s >>expected && echo 3s >>expected &&
    test_cmp expected out &&
    test_grep "fluxs-config: error: tbon.nothing is not set in the configuration" err
'

test_expect_success 'config get: strings without quotes; -d, -q and -t as in flux config get' '
    cat >get.sh <<-\EOF &&
	fluxs config get exec.kill-timeout
	fluxs config get tbon
	fluxs config get -d dflt tbon.nothing
	fluxs config get --default=7 exec.nothing
	fluxs config get -q tbon.nothing; echo quiet=$?
	fluxs config get -t string tbon.topo
	fluxs config get -t fsd exec.kill-timeout
	fluxs config get -t fsd-integer exec.kill-timeout
	fluxs config get -t fsd-real exec.kill-timeout
	fluxs config get -t BOOLEAN access.allow-guest-user
	fluxs config get -t object access
	fluxs config get -t integer tbon.topo; echo type=$?
	fluxs config get -t fsd tbon.topo; echo fsd=$?
	fluxs config get -t nosuch tbon.topo; echo unknown=$?
	EOF
    fluxs-broker -c $PWD/one.d bash get.sh >out 2>err &&
    cat >expected <<-\EOF &&
	3s
	{"topo":"kary:4"}
	dflt
	7
	quiet=1
	kary:4
	3s
	3
	3.000000
	true
	{"allow-guest-user":true}
	type=1
	fsd=1
	unknown=2
	EOF
    test_cmp expected out &&
    test_grep "^fluxs-config: error: tbon.topo does not have the requested type" err &&
    test_grep "^fluxs-config: error: Unknown type: nosuch" err &&
    test $(grep -c "is not set" err) = 0
'

test_expect_success 'a bad configuration stops the broker at start, naming the file, the key and the reason (a table header that TOMLKit once asserted on, found by make fuzz, too)' '
    mkdir -p bad1.d bad2.d bad3.d bad4.d &&
    printf "[tbon]\ntopology = \"kary:2\"\n" >bad1.d/x.toml &&
    printf "[tbon\ntopo = 1\n" >bad2.d/y.toml &&
    printf "[resource]\nnoverify = \"yes\"\n" >bad3.d/z.toml &&
    printf "[bootstrap]\nhosts = [ { host = \"nowhere[0-1]\" } ]\n" >bad4.d/w.toml &&
    ls -d "$TMPDIR"/fluxs-* 2>/dev/null | sort >rundirs.before &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/bad1.d true 2>err1 &&
    test_grep "fluxs-broker: error: $PWD/bad1.d/x.toml: tbon.topology: unknown key" err1 &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/bad2.d true 2>err2 &&
    test_grep "fluxs-broker: error: $PWD/bad2.d/y.toml: line 1: " err2 &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/bad3.d true 2>err3 &&
    test_grep "z.toml: resource.noverify: must be true or false" err3 &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/bad4.d true 2>err4 &&
    test_grep "bootstrap: this host (.*) is not in \[bootstrap\] hosts" err4 &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/missing.d true 2>err5 &&
    test_grep "missing.d: No such file or directory" err5 &&
    mkdir -p bad6.d && printf "[access]\n[{host = \"x\"}]\n" >bad6.d/v.toml &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/bad6.d true 2>err6 &&
    test_grep "fluxs-broker: error: $PWD/bad6.d/v.toml: line 2: .*saw .{" err6 &&
    ls -d "$TMPDIR"/fluxs-* 2>/dev/null | sort >rundirs.after &&
    test_cmp rundirs.before rundirs.after
'

test_expect_success '[modules] decides which ranks load a service; an unknown module stops the broker' '
    mkdir -p mods.d bad-mods.d &&
    printf "[modules]\nexec = \"none\"\nheartbeat = \"1\"\n" >mods.d/m.toml &&
    fluxs start --test-size=2 -Sbroker.modules.exec=none sh -c "fluxs exec -r 0 true; echo exec=\$?" >out 2>&1 &&
    test_grep "exec=1" out &&
    fluxs-broker --config-path=$PWD/mods.d sh -c "fluxs getattr broker.modules.exec; fluxs heartbeat 2>/dev/null; fluxs module stats heartbeat" >out2 2>&1;
    test_grep "^none$" out2 &&
    printf "[modules]\nnosuch = \"all\"\n" >bad-mods.d/m.toml &&
    test_expect_code 1 fluxs-broker --config-path=$PWD/bad-mods.d true 2>err &&
    test_grep "broker.modules.nosuch: there is no module nosuch" err
'

cat >three.sh <<'EOF'
set -e
fluxs overlay status
fluxs exec -r all fluxs getattr hostname | sort | tr "\n" " "; echo
fluxs run -N3 -n3 hostname | sort | tr "\n" " "; echo
fluxs config get bootstrap.curve_cert
id=$(fluxs submit --job-name=kept -N2 true)
fluxs job wait $id && echo "$id" >kept.id
EOF
test_expect_success NETNS 'three nodes, each its own namespace and hostname, start from their configuration over CURVE' '
    test_when_finished "net_down fxs$$a" &&
    net_up fxs$$a && fluxs keygen sys.cert && conf $PWD/sys.d $PWD/sys.cert &&
    (node fxs$$a 1 $PWD/sys.d >b1.log 2>&1 &) && (node fxs$$a 2 $PWD/sys.d >b2.log 2>&1 &) &&
    timeout 60 ip netns exec fxs$$a-0 unshare --uts sh -c "hostname node0; exec $BROKER --config-path=$PWD/sys.d -Sstatedir=$PWD/state bash $PWD/three.sh" >out 2>err &&
    cat >expected <<-EOF &&
	0 node0: full
	├─ 1 node1: full
	└─ 2 node2: full
	node0 node1 node2 
	node0 node1 node2 
	$PWD/sys.cert
	EOF
    test_cmp expected out &&
    test -s kept.id
'

cat >restarted.sh <<'EOF'
fluxs job info $(cat kept.id) | python3 -c "import json,sys; r=json.load(sys.stdin); print(r[\"state\"], r[\"name\"], r[\"result\"])"
fluxs jobs -a -n -o "{name}"
EOF
test_expect_success NETNS 'the whole instance restarted from its statedir finds its job records again' '
    test -s kept.id &&
    test_when_finished "net_down fxs$$b" &&
    net_up fxs$$b &&
    (node fxs$$b 1 $PWD/sys.d >b1.log 2>&1 &) && (node fxs$$b 2 $PWD/sys.d >b2.log 2>&1 &) &&
    timeout 60 ip netns exec fxs$$b-0 unshare --uts sh -c "hostname node0; exec $BROKER --config-path=$PWD/sys.d -Sstatedir=$PWD/state bash $PWD/restarted.sh" >out 2>err &&
    printf "INACTIVE kept COMPLETED\nkept\nhostname\n" >expected &&
    test_cmp expected out
'

cat >intruder.sh <<'EOF'
fluxs overlay status
fluxs run -N2 -n2 hostname | sort | tr "\n" " "; echo
EOF
test_expect_success NETNS 'a broker with another certificate cannot join; the others serve without it' '
    test_when_finished "net_down fxs$$c" &&
    net_up fxs$$c && fluxs keygen intruder.cert && conf $PWD/intruder.d $PWD/intruder.cert &&
    (node fxs$$c 1 $PWD/sys.d >b1.log 2>&1 &) &&
    (ip netns exec fxs$$c-2 unshare --uts sh -c "hostname node2; exec timeout 20 $BROKER --config-path=$PWD/intruder.d" >b2.log 2>&1 &) &&
    timeout 60 ip netns exec fxs$$c-0 unshare --uts sh -c "hostname node0; exec $BROKER --config-path=$PWD/sys.d -Sbroker.quorum-timeout=2s bash $PWD/intruder.sh" >out 2>err &&
    cat >expected <<-EOF &&
	0 node0: partial
	├─ 1 node1: full
	└─ 2: offline
	node0 node1 
	EOF
    test_cmp expected out &&
    test_grep "quorum not reached after 2s: ranks 2 did not join" err
'

cat >rejoin.sh <<'EOF'
pid2=$(cat pid-NET-2)
kill -9 $pid2
for i in $(seq 100); do fluxs overlay status | grep -q "2: lost" && break; sleep 0.1; done
fluxs overlay status | tail -1
(ip netns exec NET-2 unshare --uts sh -c "hostname node2; exec BROKER --config-path=CONF" >b2-again.log 2>&1 &)
for i in $(seq 100); do fluxs overlay status | grep -q "2 node2: full" && break; sleep 0.1; done
fluxs overlay status | tail -1
fluxs run -N3 -n3 hostname | sort | tr "\n" " "; echo
EOF
test_expect_success NETNS 'a node whose broker is killed is lost, and joins again when its broker restarts' '
    test_when_finished "net_down fxs$$d" &&
    net_up fxs$$d &&
    sed -e "s|NET|fxs$$d|g; s|BROKER|$BROKER|; s|CONF|$PWD/sys.d|" rejoin.sh >rejoin-run.sh &&
    (node fxs$$d 1 $PWD/sys.d >b1.log 2>&1 &) && (node fxs$$d 2 $PWD/sys.d >b2.log 2>&1 &) &&
    timeout 60 ip netns exec fxs$$d-0 unshare --uts sh -c "hostname node0; exec $BROKER --config-path=$PWD/sys.d bash $PWD/rejoin-run.sh" >out 2>err &&
    cat >expected <<-EOF &&
	└─ 2: lost
	└─ 2 node2: full
	node0 node1 node2 
	EOF
    test_cmp expected out
'

cat >users.sh <<'EOF'
exec 2>&1
G1="setpriv --reuid=65534 --regid=65534 --clear-groups"
G2="setpriv --reuid=65533 --regid=65533 --clear-groups"
$G1 fluxs run -N3 -n3 sh -c 'echo $(hostname) $(id -u)' | sort | tr "\n" " "; echo
a=$($G1 fluxs submit -N3 -n3 sleep 30)
b=$($G2 fluxs submit -n1 sh -c 'echo only for g2')
$G2 fluxs job wait $b && $G2 fluxs job attach $b
echo "g1 sees: $($G1 fluxs jobs -A -n -o "{name}" | tr "\n" " ")"
$G2 fluxs cancel $a; echo g2-cancel-a=$?
$G2 fluxs job attach $a; echo g2-attach-a=$?
$G1 fluxs job kill $a && $G1 fluxs job wait $a; echo g1-killed-a=$?
fluxs jobs -a -A -n -o "{name} {userid} {result}" | sort
EOF
test_expect_success NETNS,SETPRIV 'on the three nodes, two users run jobs as themselves and may touch only their own' '
    test_when_finished "net_down fxs$$e" &&
    make -C "$SRCDIR" --no-print-directory install PREFIX="$TRASH_DIRECTORY/inst" >make.out 2>&1 ||
        { cat make.out; return 1; }
    sed -i "s/^allow-users = .*/allow-users = root/" inst/etc/fluxs/imp.conf &&
    echo "munge-socket = $FLUXS_MUNGE_SOCKET" >>inst/etc/fluxs/imp.conf &&
    chmod 755 "$TRASH_DIRECTORY" inst inst/bin &&
    cp -r sys.d users.d && printf "[access]\nallow-guest-user = true\n" >users.d/access.toml &&
    net_up fxs$$e &&
    BROKER=$TRASH_DIRECTORY/inst/bin/fluxs-broker &&
    (node fxs$$e 1 $PWD/users.d >b1.log 2>&1 &) && (node fxs$$e 2 $PWD/users.d >b2.log 2>&1 &) &&
    timeout 60 ip netns exec fxs$$e-0 unshare --uts sh -c "hostname node0; cd $TRASH_DIRECTORY; exec $BROKER --config-path=$PWD/users.d bash $PWD/users.sh" >out &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" out >out.ids &&
    cat >expected <<-\EOF &&
	node0 65534 node1 65534 node2 65534 
	only for g2
	g1 sees: sleep 
	fluxs-cancel: error: ID: guests can only raise exceptions on their own jobs
	g2-cancel-a=1
	fluxs-job: error: job ID belongs to another user
	g2-attach-a=1
	fluxs-job: error: ID: killed by signal 15
	g1-killed-a=1
	sh 65533 COMPLETED
	sh 65534 COMPLETED
	sleep 65534 FAILED
	EOF
    test_cmp expected out.ids
'

test_done
