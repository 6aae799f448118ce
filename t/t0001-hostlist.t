#!/usr/bin/env bash
test_description='fluxs hostlist: RFC 29 hostlists on the command line'
. "$(dirname "$0")/lib/test-lib.sh"

# check EXPECTED ARGS...: fluxs hostlist ARGS prints EXPECTED.
check() {
    local expected=$1
    shift
    local actual
    actual=$(fluxs hostlist "$@") || return 1
    [ "$actual" = "$expected" ] && return 0
    echo "fluxs hostlist $*: expected '$expected', got '$actual'" >&2
    return 1
}

test_expect_success 'sources are concatenated and compressed' '
    check "node[0-3,7],login1,node[4-6]" "node[0-3,7],login1" "node[4-6]" &&
    check "a[1-3]" a1 a2 a3
'
test_expect_success 'stdin is the default source, - names it' '
    printf "n1 n2\nn3\n" | fluxs hostlist >out &&
    test "$(cat out)" = "n[1-3]" &&
    echo "x[1-2]" | fluxs hostlist - y1 >out &&
    test "$(cat out)" = "x[1-2],y1"
'
test_expect_success 'expand with the default and a chosen delimiter' '
    check "n1 n2 n3" -e "n[1-3]" &&
    check "n1,n2,n3" -e -d, "n[1-3]" &&
    printf "n00\nn01\n" >expected && fluxs hostlist -e -d "
" "n[00-01]" >actual && test_cmp expected actual
'
test_expect_success 'zero padding is kept' '
    check "n[00-10]" n00 n01 n02 n03 n04 n05 n06 n07 n08 n09 n10 &&
    check "n08 n09 n10" -e "n[08-10]"
'
test_expect_success 'count, including a huge list' '
    check 11 -c "n[00-10]" &&
    check 1000000 -c "n[0-999999]" &&
    check 0 -c ""
'
test_expect_success 'nth with an idset, and from the end' '
    check "n3" -n 3 "n[0-9]" &&
    check "n[0-1,9]" -n 0-1,9 "n[0-9]" &&
    check "n9" -n -1 "n[0-9]" &&
    check "n[8,7]" -n -2-3 "n[0-9]"
'
test_expect_success 'nth out of range is an error naming the index' '
    test_must_fail fluxs hostlist -n 10 "n[0-9]" 2>err &&
    test_grep "^fluxs-hostlist: error: --nth: index 10 is out of range for 10 hosts$" err
'
test_expect_success 'union sorts and drops duplicates' '
    check "login1,node[0-7]" -u "node[0-3,7],login1" "node[4-6]" "node[1-2]"
'
test_expect_success 'intersect, minus and xor' '
    check "node[5-9]" -i "node[0-9]" "node[5-20]" &&
    check "node[0-1,5-9]" -m "node[0-9]" "node[2-4]" &&
    check "node[0-4,10-20]" -X "node[0-9]" "node[5-20]"
'
test_expect_success 'exclude hosts or indices; sort; limit' '
    check "n[0,3]" -x "n[1-2]" "n[0-3]" &&
    check "n[1-2]" -x 0,3 "n[0-3]" &&
    check "a1,b[1-2]" -S b2 a1 b1 &&
    check "n[0-1]" -L 2 "n[0-9]" &&
    check "n[8-9]" -L -2 "n[0-9]"
'
test_expect_success 'find prints indices, and fails for a missing host' '
    check "2 0" -F "n2,n0" "n[0-3]" &&
    test_must_fail fluxs hostlist -F n9 "n[0-3]" 2>err &&
    test_grep "error: host n9 not found" err
'
test_expect_success 'quiet: exit status says whether the result is empty' '
    fluxs hostlist -q -i "n[0-3]" n2 >out &&
    test ! -s out &&
    test_expect_code 1 fluxs hostlist -q -i "n[0-3]" n9
'
test_expect_success 'malformed hostlists give one error line and exit 1' '
    test_expect_code 1 fluxs hostlist "n[1-" 2>err &&
    test $(wc -l <err) -eq 1 &&
    test_grep "^fluxs-hostlist: error: .*n\[1-" err &&
    test_expect_code 1 fluxs hostlist "n[3-1]" 2>err &&
    test_grep "^fluxs-hostlist: error: " err
'
test_expect_success 'conflicting set operations are a usage error (exit 2)' '
    test_expect_code 2 fluxs hostlist -i -m a b 2>err &&
    test_grep "^fluxs-hostlist: error: choose at most one of" err
'
# Sources from an instance: four brokers n0-n3 (all on this host, from a given R).
echo '{"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-1"}}],"nodelist":["n[0-3]"],"starttime":0,"expiration":0}}' >R4.json
cat >sources.sh <<'EOF'
fluxs hostlist instance
fluxs hostlist -c instance
fluxs hostlist -l
fluxs hostlist -le -d,
fluxs resource drain 2 maintenance
fluxs hostlist avail
fluxs hostlist --count available
id=$(fluxs submit -N2 --setattr=system.exec.test.run_duration=0s true)
fluxs job wait-event -q -t 30s "$id" clean
fluxs hostlist "$id"
fluxs hostlist -x 0 "$id"
FLUXS_JOB_ID=$id fluxs hostlist local
FLUXS_JOB_ID=$id fluxs hostlist -l -c
echo n7 | fluxs hostlist -u - instance "$id"
fluxs hostlist foo1 2>&1; echo rc=$?
fluxs hostlist --fallback foo1 foo2
fluxs hostlist "n[1-" 2>&1; echo rc=$?
EOF
test_expect_success 'sources instance, local, avail, JOBID, -l and --fallback, as flux-hostlist' '
    fluxs start --test-size=4 -Sresource.path=$PWD/R4.json -Sresource.noverify=1 bash sources.sh >out 2>&1 &&
    cat >expected <<-\EOF &&
	n[0-3]
	4
	n[0-3]
	n0,n1,n2,n3
	n[0-1,3]
	3
	n[0-1]
	n1
	n[0-1]
	2
	n[0-3,7]
	fluxs-hostlist: error: job foo1 not found
	rc=1
	foo[1-2]
	fluxs-hostlist: error: Invalid jobid or hostlist n[1-
	rc=1
	EOF
    test_cmp expected out
'
test_expect_success 'without an instance, instance sources fail with one error line' '
    (unset FLUXS_URI; test_expect_code 1 fluxs hostlist instance 2>err) &&
    test $(wc -l <err) -eq 1 &&
    test_grep "^fluxs-hostlist: error: " err
'
test_done
