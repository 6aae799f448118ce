#!/usr/bin/env bash
test_description='fluxs dump and restore (the KVS and job history to tar and back), fluxs archive'
. "$(dirname "$0")/lib/test-lib.sh"

# Jobs here run in the exec test mode: no process, finished after run_duration.
T=--setattr=system.exec.test.run_duration=0.1s
export T

# Each test's script is written here, before the test, so that it may quote freely.

# MARK: - dump and restore of keys

cat >fill.sh <<'EOF'
set -e
fluxs kvs put s=hello n=42 f=1.5 q='"42"' o='{"b":[1,2],"a":{"c":"x"}}' t=true z=null e= \
    log="$(printf '{"timestamp":1.5,"name":"submit"}')" deep.a.b.c=leaf deep.a.x=2
fluxs kvs put -a ml='line one
line two
'
fluxs kvs mkdir emptydir
fluxs kvs put big="$(head -c 3000 /dev/zero | tr '\0' x)"
fluxs kvs get s n f q o t z e log deep.a.b.c deep.a.x ml big >before
fluxs dump kv.tar 2>dump.err
fluxs dump -q - >stdout.tar
fluxs dump -v -q verbose.tar 2>verbose.err
EOF
# Other services may keep keys of their own: the archive must hold at least these.
test_expect_success 'dump writes a tar archive with one file per key' '
    fluxs start bash fill.sh &&
    tar tf kv.tar | sort >listed &&
    cat >expected <<-\EOF &&
	big
	deep/a/b/c
	deep/a/x
	e
	emptydir/
	f
	log
	ml
	n
	o
	q
	s
	t
	z
	EOF
    comm -23 expected listed >missing &&
    test_must_fail test -s missing &&
    tar tf stdout.tar | sort >listed2 &&
    test_cmp listed listed2 &&
    sort verbose.err >verbose.sorted &&
    test_cmp listed verbose.sorted &&
    tr "\r" "\n" <dump.err | tail -1 >progress &&
    echo "fluxs-dump: archived $(wc -l <listed) keys" >expected-progress &&
    test_cmp expected-progress progress
'

test_expect_success 'tar extracts strings as text and other values as JSON' '
    mkdir ex && tar xf kv.tar -C ex 2>tar.err &&
    test_must_fail test -s tar.err &&
    printf "hello" >expected && test_cmp expected ex/s &&
    printf "line one\nline two\n" >expected && test_cmp expected ex/ml &&
    printf "{\"a\":{\"c\":\"x\"},\"b\":[1,2]}" >expected && test_cmp expected ex/o &&
    printf "42" >expected && test_cmp expected ex/q && test_cmp expected ex/n &&
    test -d ex/emptydir
'

cat >restore.sh <<'EOF'
set -e
fluxs restore -q kv.tar
fluxs kvs get s n f q o t z e log deep.a.b.c deep.a.x ml big >after
fluxs kvs ls -1 emptydir | wc -l >emptydir.count
fluxs kvs ls -1 . >root.names
EOF
test_expect_success 'restore into a fresh instance gives back the same values' '
    fluxs start bash restore.sh &&
    test_cmp before after &&
    echo 0 >expected && test_cmp expected emptydir.count &&
    grep -x "emptydir\." root.names
'

cat >merge.sh <<'EOF'
set -e
fluxs kvs put s=old keep=me deep.a.other=1
fluxs restore -q - <stdout.tar
fluxs kvs get s keep deep.a.other deep.a.b.c
fluxs restore -q --key=copy kv.tar
fluxs kvs get copy.s copy.deep.a.b.c copy.o
fluxs kvs put copy.extra=1
fluxs restore -q --key=copy kv.tar
fluxs kvs get copy.extra 2>&1 || true
EOF
test_expect_success 'restore merges into the root, or replaces the directory of --key' '
    fluxs start bash merge.sh >out &&
    cat >expected <<-\EOF &&
	hello
	me
	1
	leaf
	hello
	leaf
	{"a":{"c":"x"},"b":[1,2]}
	fluxs-kvs: error: key copy.extra not found
	EOF
    test_cmp expected out
'

cat >limit.sh <<'EOF'
set -e
fluxs restore -v --size-limit=1k kv.tar 2>limit.err
fluxs kvs get s
fluxs kvs get big 2>&1 || true
EOF
test_expect_success 'restore --size-limit skips larger values' '
    fluxs start bash limit.sh >out &&
    printf "%s\n" hello "fluxs-kvs: error: key big not found" >expected &&
    test_cmp expected out &&
    grep -x "fluxs-restore: big size 3000 exceeds 1024 limit, skipping" limit.err
'

cat >handmade.sh <<'EOF'
set -e
fluxs restore -q hand.tar 2>hand.err
fluxs kvs get top conf.n conf.sub.text
fluxs kvs get link 2>&1 || true
EOF
test_expect_success 'restore reads archives made by tar: every file is a string, links are skipped' '
    mkdir -p hand/conf/sub &&
    printf 7 >hand/conf/n && printf "a text\n" >hand/conf/sub/text && printf top >hand/top &&
    ln -s top hand/link &&
    tar cf hand.tar -C hand . &&
    fluxs start bash handmade.sh >out &&
    printf "%s\n" top 7 "a text" "fluxs-kvs: error: key link not found" >expected &&
    test_cmp expected out &&
    grep "link -> top: the fluxs KVS has no symbolic links, skipping" hand.err
'

test_expect_success 'dump and restore refuse what they cannot do' '
    test_expect_code 2 fluxs dump kv.tgz 2>err &&
    grep "only uncompressed tar archives are written" err &&
    test_expect_code 2 fluxs restore --checkpoint kv.tar &&
    test_expect_code 2 fluxs restore --size-limit=3X kv.tar &&
    gzip -c kv.tar >kv.tar.gz &&
    test_expect_code 1 fluxs restore --checkpoint --statedir=gz kv.tar.gz 2>err &&
    grep "a gzip-compressed archive: decompress it first" err &&
    head -c 700 kv.tar >cut.tar && dd if=/dev/zero bs=1 count=10 >>cut.tar 2>/dev/null &&
    test_expect_code 1 fluxs restore --checkpoint --statedir=cut cut.tar 2>err &&
    grep "cut.tar: tar: " err &&
    echo "not a tar archive, clearly not one at all" >bad.tar && head -c 1024 /dev/zero | tr "\0" x >>bad.tar &&
    test_expect_code 1 fluxs restore --checkpoint --statedir=bad bad.tar 2>err &&
    grep "bad.tar: tar: bad" err
'

# MARK: - job history carried to a new instance

cat >jobs-old.sh <<'EOF'
set -e
a=$(fluxs submit $T true)
b=$(fluxs submit $T --job-name=second true)
fluxs job wait-event -q -t 30s "$a" clean
fluxs job wait-event -q -t 30s "$b" clean
echo "$a $b" >ids
fluxs jobs -a -n -o "{id} {name} {state} {result}" >jobs.before
fluxs job info "$a" eventlog >eventlog-a.before
fluxs job info "$b" eventlog >eventlog-b.before
fluxs job info "$b" jobspec >jobspec-b.before
fluxs dump -q history.tar
EOF
cat >jobs-new.sh <<'EOF'
set -e
read a b <ids
fluxs jobs -a -n -o "{id} {name} {state} {result}" >jobs.after
fluxs job info "$a" eventlog >eventlog-a.after
fluxs job info "$b" eventlog >eventlog-b.after
fluxs job info "$b" jobspec >jobspec-b.after
c=$(fluxs submit $T true)
fluxs job wait-event -q -t 30s "$c" clean
test "$c" != "$a" && test "$c" != "$b"
fluxs jobs -a -n -o "{id}" | wc -l >count
EOF
test_expect_success 'job history survives into a new instance: restore --checkpoint, then start on the statedir' '
    fluxs start bash jobs-old.sh &&
    tar tf history.tar >listed &&
    read a b <ids &&
    dothex=$(fluxs job id --to=dothex "$a" | tr . /) &&
    grep -x "job/$dothex/eventlog" listed &&
    grep -x "job/$dothex/jobspec" listed &&
    fluxs restore --checkpoint --statedir=new history.tar 2>restore.err &&
    grep -x "fluxs-restore: wrote new/kvs.sqlite (primary namespace, version 1)" restore.err &&
    fluxs start -Sstatedir=new bash jobs-new.sh &&
    test_cmp jobs.before jobs.after &&
    test_cmp eventlog-a.before eventlog-a.after &&
    test_cmp eventlog-b.before eventlog-b.after &&
    test_cmp jobspec-b.before jobspec-b.after &&
    echo 3 >expected && test_cmp expected count
'

cat >checkpoint.sh <<'EOF'
set -e
fluxs dump -q --checkpoint live-checkpoint.tar
EOF
test_expect_success 'dump --checkpoint reads a state directory, with or without its instance' '
    fluxs dump -q --checkpoint --statedir=new offline.tar &&
    tar tf offline.tar | grep -c "/eventlog$" >count &&
    echo 3 >expected && test_cmp expected count &&
    fluxs start -Sstatedir=new bash checkpoint.sh &&
    tar tf live-checkpoint.tar | grep -c "/eventlog$" >count &&
    test_cmp expected count &&
    test_expect_code 1 fluxs dump --checkpoint --statedir=nowhere x.tar 2>err &&
    grep "nowhere/kvs.sqlite: " err
'

# MARK: - archive

# A tree with every kind archive keeps: text, binary, a file over the small-file
# threshold (three chunks with --chunksize=1M), modes, a link, empty file and directory.
make_tree() {
    mkdir -p src/data/sub src/data/empty &&
    printf "hello\n" >src/data/hello.txt &&
    printf "\001\002\377\000binary" >src/data/bin &&
    head -c 2500000 /dev/urandom >src/data/sub/large &&
    printf "#!/bin/sh\necho run\n" >src/data/run.sh && chmod 755 src/data/run.sh &&
    printf secret >src/data/private && chmod 600 src/data/private &&
    : >src/data/emptyfile &&
    ln -s hello.txt src/data/link
}

# describe DIR: every path below DIR with its type, mode and link target or checksum.
describe() {
    (cd "$1" && find . -mindepth 1 | sort | while read -r p; do
        if [ -L "$p" ]; then echo "$p link $(readlink "$p")"
        elif [ -d "$p" ]; then echo "$p dir $(stat -c %a "$p")"
        else echo "$p file $(stat -c %a "$p") $(cksum <"$p")"; fi
    done)
}
export -f describe

cat >archive.sh <<'EOF'
set -e
fluxs archive create -C src data
fluxs archive list >list.out
fluxs archive list -l 'data/*.txt' >list-l.out
fluxs kvs ls -1 archive.main_blobs | wc -l >blobs.count
fluxs exec -r all sh -c 'd=x$(fluxs getattr rank); mkdir $d && fluxs archive extract -C $d'
fluxs archive create data 2>create-again.err && exit 1
fluxs archive extract -C x0 2>extract-again.err && exit 1
fluxs archive extract -C x0 --overwrite
mkdir pat && fluxs archive extract -C pat 'data/sub/*'
printf "more\n" >more.txt && fluxs archive create --append more.txt
fluxs archive list | tail -1 >appended
fluxs archive create --overwrite more.txt
fluxs archive list >overwritten
fluxs kvs ls archive 2>&1 >after-overwrite || true
fluxs archive remove
fluxs kvs ls -1 archive >after-remove 2>&1 || true
fluxs archive remove 2>remove-again.err && exit 1
fluxs archive remove -f
EOF
test_expect_success 'archive: create, list, extract on every rank, append, overwrite, remove' '
    make_tree &&
    fluxs start --test-size=2 bash archive.sh &&
    cat >expected <<-\EOF &&
	data
	data/bin
	data/empty
	data/emptyfile
	data/hello.txt
	data/link
	data/private
	data/run.sh
	data/sub
	data/sub/large
	EOF
    test_cmp expected list.out &&
    echo "f 0644        6 data/hello.txt" >expected && test_cmp expected list-l.out &&
    echo 3 >expected && test_cmp expected blobs.count &&
    describe src >tree.src &&
    describe x0 >tree.x0 && test_cmp tree.src tree.x0 &&
    describe x1 >tree.x1 && test_cmp tree.src tree.x1 &&
    grep "archive.main: key exists (use --overwrite or --append)" create-again.err &&
    grep "will not overwrite an existing file (use --overwrite)" extract-again.err &&
    (cd pat && find . -mindepth 1 | sort) >pat.list &&
    printf "%s\n" ./data ./data/sub ./data/sub/large >expected && test_cmp expected pat.list &&
    echo more.txt >expected && test_cmp expected appended && test_cmp expected overwritten &&
    grep "archive.main: key exists" create-again.err &&
    test_must_fail grep main_blobs after-overwrite &&
    test_must_fail test -s after-remove &&
    grep "archive.main does not exist" remove-again.err
'

cat >waitcreate.sh <<'EOF'
set -e
fluxs archive extract -n late --waitcreate -C w 2>waited.err &
pid=$!
fluxs archive create -n late -C src data
wait $pid
fluxs archive extract -n never --waitcreate --timeout=0.2s 2>timeout.err && exit 1
mkfifo fifo
fluxs archive create -n bad fifo 2>fifo.err && exit 1
fluxs kvs get archive.bad 2>&1 || true
EOF
test_expect_success 'archive: extract --waitcreate, a timeout, files that cannot be archived' '
    mkdir w &&
    fluxs start bash waitcreate.sh >out &&
    describe w >tree.w && test_cmp tree.src tree.w &&
    grep "archive.never was not created within the timeout" timeout.err &&
    grep "fifo: not a regular file, directory or symbolic link" fifo.err &&
    echo "fluxs-kvs: error: key archive.bad not found" >expected && test_cmp expected out
'

test_done
