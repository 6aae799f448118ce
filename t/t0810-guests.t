#!/usr/bin/env bash
test_description='guests: an instance that allows guest users lets two other users submit, list, signal and cancel only their own jobs and read only their own output; owner-only services refuse them; their jobs run as them through fluxs-imp, and without it are refused saying so'
# Tests here act as other uids: a trash directory and programs they can reach.
FLUXS_TEST_OTHER_UIDS=t
. "$(dirname "$0")/lib/test-lib.sh"

# The instance runs as root (its owner) and the guests are uids 65534 and 65533, made
# with setpriv: no accounts are created. Jobs of guests need fluxs-imp setuid root, so
# the last tests install fluxs into the trash directory as root.
test_have_prereq ROOT,SETPRIV || test_skip_all "guests need root and setpriv to act as other users"
test_have_prereq MUNGE || test_skip_all "guests sign their jobs with MUNGE, and munged is not installed (make deps)"

mkdir -p conf.d && printf "[access]\nallow-guest-user = true\n" >conf.d/access.toml
chmod 755 "$TRASH_DIRECTORY"
G1="setpriv --reuid=65534 --regid=65534 --clear-groups"
G2="setpriv --reuid=65533 --regid=65533 --clear-groups"
export G1 G2

# guests BROKER SCRIPT [OPTION...]: runs SCRIPT as the initial program of a one-broker
# instance that allows guests, from the trash directory (which guests may read).
guests() { (cd "$TRASH_DIRECTORY" && "$1" --config-path="$TRASH_DIRECTORY/conf.d" "${@:3}" bash "$2"); }

# Guests sign their jobs with MUNGE (fluxs-security(7)): test-lib started a private munged.
test_expect_success 'a private munged is up for the guests to sign their jobs' '
    test -S "$FLUXS_MUNGE_SOCKET" && echo test | munge --socket="$FLUXS_MUNGE_SOCKET" | unmunge --socket="$FLUXS_MUNGE_SOCKET"
'

cat >without-guests.sh <<'EOF'
$G1 fluxs jobs 2>&1; echo rc=$?
EOF
test_expect_success 'an instance that does not allow guests keeps other users out (its socket is private)' '
    (cd "$TRASH_DIRECTORY" && fluxs start bash without-guests.sh) >out &&
    test_grep "fluxs-jobs: error: cannot connect to local://.*: Permission denied" out &&
    test_grep "rc=1" out
'

cat >rules.sh <<'EOF'
exec 2>&1
own=$(fluxs submit --job-name=owners -n1 sleep 30)
g1=$($G1 fluxs submit --job-name=g1job --setattr=system.exec.test.run_duration=30s -n1 true)
echo "owner sees: $(fluxs jobs -A -n -o "{name}" | sort | tr "\n" " ")"
echo "g1 sees: $($G1 fluxs jobs -A -n -o "{name}" | tr "\n" " ")"
echo "g2 sees: $($G2 fluxs jobs -A -n -o "{name}" | tr "\n" " ")"
$G2 fluxs cancel $g1; echo g2-cancel=$?
$G2 fluxs job kill $g1; echo g2-kill=$?
$G2 fluxs job info $g1 >/dev/null; echo g2-info=$?
$G1 fluxs cancel $own; echo g1-cancel-owner=$?
$G1 fluxs module list; echo g1-module=$?
$G1 fluxs kvs put x=1; echo g1-kvs-put=$?
$G1 fluxs config get; echo g1-config=$?
$G1 fluxs cancel $g1; echo g1-cancel-own=$?
$G1 fluxs job wait $g1; echo g1-wait=$?
fluxs cancel $own
EOF
test_expect_success 'guests see and touch only their own jobs; owner-only services say EPERM with the topic' '
    guests fluxs-broker rules.sh >out &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" out >out.ids &&
    cat >expected <<-\EOF &&
	owner sees: g1job owners 
	g1 sees: g1job 
	g2 sees: 
	fluxs-cancel: error: ID: guests can only raise exceptions on their own jobs
	g2-cancel=1
	fluxs-job: error: job ID belongs to another user
	g2-kill=1
	fluxs-job: error: job ID belongs to another user
	g2-info=1
	fluxs-cancel: error: ID: guests can only raise exceptions on their own jobs
	g1-cancel-owner=1
	fluxs-module: error: module.list is for the instance owner
	g1-module=1
	fluxs-kvs: error: guests may use only their own jobs'"'"' keys, not x
	g1-kvs-put=1
	fluxs-config: error: config.get is for the instance owner
	g1-config=1
	g1-cancel-own=0
	fluxs-job: error: ID: cancel
	g1-wait=1
	EOF
    test_cmp expected out.ids
'

cat >byid.sh <<'EOF'
exec 2>&1
g1=$($G1 fluxs submit --job-name=g1job --setattr=system.exec.test.run_duration=30s -n1 true)
$G1 fluxs job wait-event $g1 start >/dev/null
for cmd in "jobs" "jobs --json" "jobs -o {name}" "job status" "job info" "job eventlog" "uri" "pstree"; do
    $G2 fluxs $cmd $g1 >out.g2 2>&1; echo "g2 $cmd: rc=$? $(grep -c g1job out.g2) $(head -n1 out.g2)"
done
echo "g2 last: $($G2 fluxs job last 2>&1)"
echo "g1 jobs: $($G1 fluxs jobs -n -o {name} $g1)"
fluxs cancel $g1
EOF
test_expect_success 'a guest naming another user'"'"'s job, in every way, learns nothing of it' '
    guests fluxs-broker byid.sh >out &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g" out >out.ids &&
    cat out.ids &&
    test_must_fail grep "rc=0" out.ids &&
    test $(grep -c "^g2 .*: rc=1 0 " out.ids) -eq 8 &&
    test_grep "^g2 jobs: rc=1 0 fluxs-jobs: error: job ID belongs to another user$" out.ids &&
    test_grep "^g2 last: fluxs-job: error: " out.ids &&
    test_grep "^g1 jobs: g1job$" out.ids
'

cat >restart1.sh <<'EOF'
$G1 fluxs submit --setattr=system.exec.test.run_duration=0.01s -n1 true >id
$G1 fluxs job wait $(cat id); echo wait=$?
EOF
cat >restart2.sh <<'EOF'
exec 2>&1
$G1 fluxs job eventlog $(cat id) | grep -c -e " submit " -e " clean"
$G2 fluxs kvs get $(fluxs job id --to=kvs $(cat id)).eventlog >/dev/null; echo g2=$?
EOF
test_expect_success 'after a restart from the statedir, a guest still reads its own job and not another'"'"'s (the job manager tells the KVS who owns each job)' '
    mkdir -p state &&
    guests fluxs-broker restart1.sh -Sstatedir="$TRASH_DIRECTORY/state" >out1 &&
    test_grep "wait=0" out1 &&
    guests fluxs-broker restart2.sh -Sstatedir="$TRASH_DIRECTORY/state" >out2 &&
    sed "s/job\.[0-9a-f.]*\.eventlog/KEY/" out2 >out2.keys &&
    cat >expected <<-\EOF &&
	2
	fluxs-kvs: error: guests may use only their own jobs'"'"' keys, not KEY
	g2=1
	EOF
    test_cmp expected out2.keys
'

cat >noimp.sh <<'EOF'
$G1 fluxs run -n1 true 2>&1; echo rc=$?
fluxs run -n1 true && echo owner-still-served
EOF
test_expect_success 'without fluxs-imp installed setuid root, a guest job is refused with a clear message' '
    guests fluxs-broker noimp.sh >out &&
    test_grep "exception type=exec: guest jobs need fluxs-imp installed setuid root" out &&
    test_grep "rc=1" out && test_grep owner-still-served out
'

test_expect_success 'make install (as root) installs fluxs-imp setuid root' '
    make -C "$SRCDIR" --no-print-directory install PREFIX="$TRASH_DIRECTORY/inst" >make.out 2>&1 ||
        { cat make.out; return 1; }
    test "$(stat -c %U:%a inst/bin/fluxs-imp)" = root:4755 &&
    sed -i "s/^allow-users = .*/allow-users = root/; s/^min-uid = .*/min-uid = 1000/" inst/etc/fluxs/imp.conf &&
    echo "munge-socket = $FLUXS_MUNGE_SOCKET" >>inst/etc/fluxs/imp.conf &&
    chmod 755 inst inst/bin
'

cat >imp.sh <<'EOF'
exec 2>&1
$G1 fluxs run -n1 sh -c 'echo uid=$(id -u) gid=$(id -g)'
a=$($G1 fluxs submit -n1 sh -c 'echo secret of g1')
b=$($G2 fluxs submit -n1 sh -c 'echo secret of g2')
$G1 fluxs job wait $a && $G2 fluxs job wait $b
$G1 fluxs job attach $a
$G2 fluxs job attach $a; echo g2-attach-a=$?
$G2 fluxs kvs get $(fluxs job id --to=kvs $a).guest.output >/dev/null; echo g2-read-a=$?
$G2 fluxs job attach $b
fluxs job attach $a && echo owner-reads-all
EOF
test_expect_success 'through fluxs-imp, guests'"'"' jobs run as them and each reads only its own output' '
    guests "$TRASH_DIRECTORY/inst/bin/fluxs-broker" imp.sh >out &&
    sed "s/ƒ[1-9A-HJ-NP-Za-km-z]*/ID/g; s/job\.[0-9a-f.]*\.guest/KEY/" out >out.ids &&
    cat >expected <<-\EOF &&
	uid=65534 gid=65534
	secret of g1
	fluxs-job: error: job ID belongs to another user
	g2-attach-a=1
	fluxs-kvs: error: guests may use only their own jobs'"'"' keys, not KEY.output
	g2-read-a=1
	secret of g2
	secret of g1
	owner-reads-all
	EOF
    test_cmp expected out.ids
'

cat >signed.sh <<'EOF'
exec 2>&1
a=$($G1 fluxs submit -n1 true)
$G1 fluxs job wait $a; echo wait=$?
fluxs kvs get $(fluxs job id --to=kvs $a).J >J.a
b=$($G2 fluxs submit -n1 true)
$G2 fluxs job wait $b; echo wait=$?
fluxs kvs get $(fluxs job id --to=kvs $b).J >J.b
echo "owner J: $(fluxs kvs get $(fluxs job id --to=kvs $(fluxs submit -n1 true)).J 2>&1 | sed "s/job\.[0-9a-f.]*/KEY/")"
c=$($G1 env PYTHONPATH="$TEST_LIB" /usr/bin/python3 -c "import fluxs, fluxs.job; print(fluxs.job.submit(fluxs.Flux(), fluxs.job.JobspecV1.from_command([\"true\"])))")
$G1 fluxs job wait $c; echo python-wait=$?
fluxs kvs get $(fluxs job id --to=kvs $c).J | cut -d. -f1 | base64 -d | tr "\0" " "; echo
fluxs submit --dry-run -n1 true | $G1 env PYTHONPATH="$TEST_LIB" /usr/bin/python3 -c "import sys; from fluxs.security import sign_munge; print(sign_munge(sys.stdin.buffer.read()))" >J.pre
d=$($G1 fluxs job submit --flags=signed J.pre)
$G1 fluxs job wait $d; echo presigned-wait=$?
$G2 fluxs job submit --flags=signed J.pre; echo g2-presigned=$?
FLUXS_MUNGE_SOCKET=$PWD/nowhere.sock $G1 fluxs submit -n1 true; echo no-munged=$?
$G1 $FLUXS_RAW rpc job-manager.submit "{\"jobspec\": $(fluxs submit --dry-run -n1 true)}"; echo unsigned=$?
EOF
test_expect_success 'a guest'"'"'s job is signed with MUNGE by the guest: the CLI and the Python API sign, the job manager keeps J, the owner'"'"'s jobs need none, an unsigned guest job is refused' '
    guests "$TRASH_DIRECTORY/inst/bin/fluxs-broker" signed.sh >out &&
    cat out &&
    test $(grep -c "^wait=0$" out) -eq 2 &&
    test_grep "^python-wait=0$" out &&
    test_grep "^presigned-wait=0$" out &&
    test_grep "^fluxs-job: error: J is signed for uid 65534, but the submitter is uid 65533$" out &&
    test_grep "^g2-presigned=1$" out &&
    test_grep "^version i1 mechanism smunge userid i65534 $" out &&
    cut -d. -f1 J.a | base64 -d | tr "\0" " " >header.a &&
    test "$(cat header.a)" = "version i1 mechanism smunge userid i65534 " &&
    cut -d. -f2 J.a | base64 -d | grep -q "\"true\"" &&
    test_grep "^owner J: fluxs-kvs: error: key KEY.*J not found" out &&
    test_grep "fluxs-submit: error: cannot sign the job with MUNGE: .*nowhere.sock" out &&
    test_grep "no-munged=1" out &&
    test_grep "a guest.s job must be signed (J, mechanism munge)" out &&
    test_grep "unsigned=1" out
'

# imp JFILE UID JOBID: fluxs-imp as job-exec runs it, J on descriptor 4 from JFILE
# (each of these is refused before the shell's input is read).
imp() { inst/bin/fluxs-imp run --uid=$2 --jobid=$3 --sign-fd=4 inst/bin/fluxs-shell --input-fd=3 3</dev/null 4<"$1"; }

test_expect_success 'fluxs-imp refuses a forged J: another payload, a header claiming another uid, a credential for another uid, mechanism none' '
    { cut -d. -f1 J.a | tr -d "\n"; printf .; printf "%s" "{\"version\":1}" | base64 -w0; printf .; cut -d. -f3 J.a; } >J.forged &&
    test_must_fail imp J.forged 65534 1 2>err && cat err &&
    test_grep "^fluxs-imp: error: J: the signature does not cover this header and payload (forged or altered)$" err &&
    test_must_fail imp J.b 65534 2 2>err && cat err &&
    test_grep "^fluxs-imp: error: J is signed for uid 65533, not for the job.s uid 65534$" err &&
    { printf "version\0i1\0mechanism\0smunge\0userid\0i65534\0" | base64 -w0; printf .; cut -d. -f2,3 J.b; } >J.claimed &&
    test_must_fail imp J.claimed 65534 3 2>err && cat err &&
    test_grep "^fluxs-imp: error: J: the signature does not cover this header and payload" err &&
    PYTHONPATH="$SRCDIR/bindings/python" python3 -c "from fluxs.security import sign_none; print(sign_none(b\"{}\", 65534))" >J.none &&
    test_must_fail imp J.none 65534 4 2>err && cat err &&
    test_grep "^fluxs-imp: error: J: mechanism none is not in sign-mechanisms (munge)$" err
'

test_expect_success 'fluxs-imp refuses a replayed J: one that started a job may not start another' '
    test_must_fail imp J.a 65534 999 2>err && cat err &&
    test_grep "^fluxs-imp: error: J was used for job [0-9]* already: it may not start job 999 (a replay)$" err &&
    test "$(stat -c %U:%a inst/var/lib/fluxs/imp)" = root:700
'

test_expect_success 'an instance run by another user ends a guest job through fluxs-imp kill' '
    sed -i "s/^allow-users = .*/allow-users = nobody/" inst/etc/fluxs/imp.conf &&
    mkdir -p run && chmod 1777 run &&
    (TMPDIR=$PWD/run setpriv --reuid=65534 --regid=65534 --clear-groups inst/bin/fluxs-broker \
        --config-path=$PWD/conf.d -Sbroker.rc2_none=1 >nonroot.log 2>&1 &) &&
    for i in $(seq 100); do ls run/fluxs-*/local >/dev/null 2>&1 && break; sleep 0.1; done &&
    export FLUXS_URI=local://$(ls -d $PWD/run/fluxs-*)/local &&
    id=$($G2 inst/bin/fluxs submit -n1 bash -c "exec -a marker-t0810-$$ sleep 300") &&
    $G2 inst/bin/fluxs job wait-event -t 20 $id start >/dev/null &&
    for i in $(seq 100); do pgrep -f "marker-t0810-$$" >/dev/null && break; sleep 0.1; done &&
    test "$(stat -c %u /proc/$(pgrep -f "marker-t0810-$$"))" = 65533 &&
    $G2 inst/bin/fluxs cancel $id &&
    $G2 inst/bin/fluxs job wait-event -t 20 $id clean >/dev/null &&
    ! pgrep -f "marker-t0810-$$" &&
    setpriv --reuid=65534 --regid=65534 --clear-groups inst/bin/fluxs shutdown
'

test_expect_success 'the private munged stops' '
    test_munged_stop "$TEST_MUNGED_DIR" &&
    ! test -S "$FLUXS_MUNGE_SOCKET"
'

test_done
