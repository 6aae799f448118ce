#!/usr/bin/env bash
test_description='--requires constraint queries (RFC 35) matched by the scheduler; singleton dependencies and URI options'
. "$(dirname "$0")/lib/test-lib.sh"

# Four nodes n0-n3 (all on this host), bigmem on n2 and n3; jobs in the exec test mode.
echo '{"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-1"}}],"nodelist":["n[0-3]"],"properties":{"bigmem":"2-3"},"starttime":0,"expiration":0}}' >R.json
FOUR="-Sresource.path=$PWD/R.json -Sresource.noverify=1"
T=--setattr=system.exec.test.run_duration=0s
export T

constraints() {
    fluxs submit --dry-run "$@" app | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["attributes"]["system"]["constraints"], sort_keys=True))'
}

test_expect_success '--requires compiles RFC 35 queries to RFC 31 objects, as Flux' '
    constraints --requires=a,b --requires=c >out &&
    constraints --requires="host:n[1-2] or rank:0" >>out &&
    constraints --requires="(a and b) or (b and c)" >>out &&
    constraints --requires="-host:fluke7" --requires="not bigmem" >>out &&
    cat >expected <<-\EOF &&
	{"properties": ["a", "b", "c"]}
	{"or": [{"hostlist": ["n[1-2]"]}, {"ranks": ["0"]}]}
	{"or": [{"properties": ["a", "b"]}, {"properties": ["b", "c"]}]}
	{"and": [{"not": [{"hostlist": ["fluke7"]}]}, {"not": [{"properties": ["bigmem"]}]}]}
	EOF
    test_cmp expected out
'

test_expect_success '--requires syntax errors name the query, with Flux'"'"'s message' '
    test_must_fail fluxs submit --dry-run --requires="(a" app 2>err &&
    test_grep "^fluxs-submit: error: --requires='"'"'(a'"'"': Unclosed parenthesis in position 0$" err &&
    test_must_fail fluxs submit --dry-run --requires="-(a|b)" app 2>err &&
    test_grep "Invalid token '"'"'('"'"' at position 1$" err
'

cat >match.sh <<'EOF'
ranks() { fluxs job info "$1" R | python3 -c 'import json,sys; print(json.load(sys.stdin)["execution"]["R_lite"][0]["rank"])'; }
for q in "host:n1" "rank:3" "-bigmem -host:n0" "bigmem|rank:0" "not (rank:0-1 or n3)"; do
    n=1; case "$q" in "bigmem|rank:0") n=3 ;; esac
    id=$(fluxs submit -N$n --requires="$q" $T true)
    fluxs job wait-event -q -t 30s "$id" clean
    echo "$q => $(ranks "$id")"
done
fluxs submit --requires=host:x $T true 2>&1; echo rc=$?
fluxs submit --requires=foo:bar $T true 2>&1; echo rc=$?
fluxs submit -N3 --requires=bigmem $T true 2>&1; echo rc=$?
EOF
test_expect_success 'the scheduler matches hostlist, ranks, and, or, not, and host names as properties' '
    fluxs start --test-size=4 $FOUR bash match.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	host:n1 => 1
	rank:3 => 3
	-bigmem -host:n0 => 1
	bigmem|rank:0 => 0,2-3
	not (rank:0-1 or n3) => 2
	fluxs-submit: error: unsatisfiable request: no node satisfies the constraints {"hostlist":["x"]}
	rc=1
	fluxs-submit: error: constraints: unknown constraint operator: foo
	rc=1
	fluxs-submit: error: unsatisfiable request: requests 3 nodes; the instance has 2 with the requested properties
	rc=1
	EOF
    test_cmp expected out
'

cat >singleton.sh <<'EOF'
set -e
# a is held, so active and past nothing; b waits for it; c (another name) does not.
a=$(fluxs submit --job-name=s --urgency=hold $T true)
b=$(fluxs submit --job-name=s --dependency=singleton $T true)
c=$(fluxs submit --job-name=other --dependency=singleton $T true)
fluxs job wait-event -q -t 30s "$c" clean
fluxs jobs -n -o "{state}" "$b"
fluxs job eventlog "$b" | grep -c "dependency-add description=\"singleton\""
fluxs job eventlog "$c" | grep -c dependency || true
fluxs job urgency "$a" default
fluxs job wait-event -q -t 30s "$b" clean
fluxs job eventlog "$b" | grep -c "dependency-remove description=\"singleton\""
fin=$(fluxs job wait-event -t 5s "$a" clean | cut -d" " -f1)
start=$(fluxs job wait-event -t 5s "$b" depend | cut -d" " -f1)
awk -v a="$fin" -v b="$start" "BEGIN { exit !(b >= a) }" && echo ordered
fluxs submit --dependency=singleton $T true 2>&1 || echo rc=$?
# Options on a dependency URI are kept in the jobspec and ignored, as in Flux.
d=$(fluxs submit --dependency="afterany:$a?tag=x&n=2" $T true)
fluxs job wait-event -q -t 30s "$d" clean
fluxs jobs -n -o "{result}" "$d"
EOF
test_expect_success 'singleton: one active job per user and name past DEPEND; a name is required' '
    fluxs start --test-size=1 bash singleton.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	DEPEND
	1
	0
	1
	ordered
	fluxs-submit: error: singleton jobs require a job name
	rc=1
	COMPLETED
	EOF
    test_cmp expected out
'

test_done
