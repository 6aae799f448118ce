#!/usr/bin/env bash
test_description='fluxs env (the environment fluxs sets up) and fluxs multi-prog (a program per task)'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/jobs-lib.sh"

# The directory fluxs runs from (as /proc/self/exe names it), the source tree holding
# it, and the lines fluxs env prints for the tree's man and Python directories.
bindir=$(cd "$FLUXS_BUILD_DIR" && pwd -P)
root=${bindir%%/.build*}
pydir=
[ -d "$root/bindings/python" ] && pydir=$root/bindings/python
export bindir root pydir

# MARK: - env

test_expect_success 'env prints FLUXS_URI and MANPATH (the tree'"'"'s man/ first) as sorted export lines' '
    env -u MANPATH -u PYTHONPATH -u FLUXS_PYTHONPATH_PREPEND FLUXS_URI=local:///nowhere fluxs env >out &&
    {
        echo "export FLUXS_URI=\"local:///nowhere\"" &&
        echo "export MANPATH=\"$root/man:\"" &&
        if [ -n "$pydir" ]; then echo "export PYTHONPATH=\"$pydir\""; fi
    } >expected &&
    test_cmp expected out &&
    env -u FLUXS_URI -u MANPATH fluxs env >out &&
    test_must_fail grep -e FLUXS_URI -e "^export PATH=" out
'

test_expect_success 'env puts its directories first in MANPATH, PYTHONPATH and (when run by a path) PATH, once' '
    MANPATH="/usr/share/man:$root/man:/x" fluxs env >out &&
    test_grep "^export MANPATH=\"$root/man:/usr/share/man:/x\"$" out &&
    PYTHONPATH=/old:/y FLUXS_PYTHONPATH_PREPEND=/pre fluxs env >out &&
    test_grep "^export PYTHONPATH=\"/pre:${pydir:+$pydir:}/old:/y\"$" out &&
    PATH="/usr/bin:$bindir:/bin" "$bindir/fluxs" env >out &&
    test_grep "^export PATH=\"$bindir:/usr/bin:/bin\"$" out
'

test_expect_success 'env CMD runs CMD in that environment with its exit status; a CMD that cannot run is an error (exit 1)' '
    env -u MANPATH fluxs env sh -c "echo \"\$MANPATH\"; exit 7" >out; test $? = 7 &&
    echo "$root/man:" >expected &&
    test_cmp expected out &&
    env -u MANPATH fluxs env -- printenv MANPATH >out &&
    test_cmp expected out &&
    test_expect_code 1 fluxs env /no/such/program arg 2>err &&
    test_grep "^fluxs-env: error: /no/such/program: No such file or directory$" err &&
    test_expect_code 2 fluxs env --no-such-option 2>err &&
    test_grep "^fluxs-env: error: " err
'

cat >env.sh <<'EOF'
fluxs env | grep FLUXS_URI
echo "export FLUXS_URI=\"$(fluxs getattr local-uri)\""
fluxs run fluxs env | grep -c "^export MANPATH=\"$root/man"
EOF
test_expect_success 'env in an instance passes its FLUXS_URI through, in jobs too' '
    run2 env.sh >out 2>err &&
    head -1 out >first &&
    sed -n 2p out >second &&
    test_cmp second first &&
    test "$(sed -n 3p out)" = 1
'

# MARK: - python

cat >py.sh <<'EOF'
fluxs python -c 'import fluxs, sys; h = fluxs.Flux(); print(fluxs.__file__, sys.argv[1:], h.attr_get("size"))' a -b
EOF
test_expect_success 'python runs python3 with the tree'"'"'s fluxs package importable, arguments passed on, in an instance' '
    run2 py.sh >out 2>err &&
    echo "$root/bindings/python/fluxs/__init__.py [\x27a\x27, \x27-b\x27] 2" >expected.raw &&
    printf "$(cat expected.raw)\n" >expected &&
    test_cmp expected out
'
test_expect_success 'python exits with python'"'"'s status; FLUXS_PYTHON names another python; one that cannot run is an error (exit 1)' '
    test_expect_code 3 fluxs python -c "import sys; sys.exit(3)" &&
    test "$(FLUXS_PYTHON=python3 fluxs python -c "print(7)")" = 7 &&
    test_expect_code 1 env FLUXS_PYTHON=no-such-python fluxs python -c "print(7)" 2>err &&
    test_grep "^fluxs-python: error: no-such-python: No such file or directory$" err
'

# MARK: - multi-prog

cat >mpmd.conf <<'EOF'
# rank 0 alone, then ranks 1-2 with their offsets
0 echo task %t
1-2 sh -c 'echo "task $0 offset $1 rank $FLUXS_TASK_RANK"' %t %o # a comment
*   echo "any  %t" %o 'single quoted' esc\ aped
EOF

cat >dry.expected <<'EOF'
0: echo task 0
1: sh -c 'echo "task $0 offset $1 rank $FLUXS_TASK_RANK"' 1 0
2: sh -c 'echo "task $0 offset $1 rank $FLUXS_TASK_RANK"' 2 1
3: echo 'any  3' 0 'single quoted' 'esc aped'
4: echo 'any  4' 0 'single quoted' 'esc aped'
EOF

test_expect_success 'multi-prog --dry-run prints what each rank would run, quoted as shlex.quote does' '
    fluxs multi-prog --dry-run=0-4 mpmd.conf >out &&
    test_cmp dry.expected out &&
    fluxs multi-prog -n3 mpmd.conf >out &&
    sed -n 4p dry.expected >expected3 &&
    test_cmp expected3 out
'

# Lines as flux-core's parser (Python's shlex) splits them: "#" inside a word starts a
# comment, runs of ();<>|& are words, a backslash inside quotes escapes only the quote
# and itself, an empty quoted word stays, a line with ranks alone is ignored.
cat >shlex.conf <<'EOF'
0 echo a#b c
1 echo x;y&&z (w) <in >out
2 echo "a \"q\" \c" 's \' t' a\ b
3 echo "" '' %t%o%%t
4
EOF
cat >shlex.expected <<'EOF'
0: echo a
1: echo x ';' y '&&' z '(' w ')' '<' in '>' out
2: echo 'a "q" \c' 's '"'"' t' 'a b'
3: echo '' '' 30%3
EOF
printf '0 true\n1 echo "open\n' >open.conf
echo "fluxs-multi-prog: error: open.conf: line 2: '1 echo \"open': No closing quotation" >open.expected

test_expect_success 'multi-prog splits lines as Python'"'"'s shlex in flux-core: comments in words, punctuation words, escapes in quotes' '
    fluxs multi-prog -n0-3 shlex.conf >out &&
    test_cmp shlex.expected out &&
    test_expect_code 1 fluxs multi-prog -n4 shlex.conf 2>err &&
    test_grep "^fluxs-multi-prog: error: shlex.conf: No matching line for rank 4$" err
'

test_expect_success 'multi-prog errors: an open quote or bad idset names the file and line; no FLUXS_TASK_RANK; bad usage' '
    test_expect_code 1 fluxs multi-prog -n0 open.conf 2>err &&
    test_cmp open.expected err &&
    printf "x-1 true\n" >idset.conf &&
    test_expect_code 1 fluxs multi-prog -n0 idset.conf 2>err &&
    test_grep "^fluxs-multi-prog: error: idset.conf: line 1: invalid idset: x-1$" err &&
    test_expect_code 1 env -u FLUXS_TASK_RANK fluxs multi-prog mpmd.conf 2>err &&
    test_grep "^fluxs-multi-prog: error: FLUXS_TASK_RANK not found or invalid$" err &&
    test_expect_code 1 fluxs multi-prog no-such.conf 2>err &&
    test_grep "^fluxs-multi-prog: error: no-such.conf: " err &&
    test_expect_code 2 fluxs multi-prog -n x mpmd.conf 2>err &&
    test_grep "^fluxs-multi-prog: error: --dry-run: " err &&
    test_expect_code 2 fluxs multi-prog 2>err &&
    test_grep "^fluxs-multi-prog: error: " err
'

cat >mpmd.sh <<'EOF'
fluxs run -N2 -n4 -l fluxs multi-prog mpmd.conf | sort
printf "0 true\n1 sh -c 'exit 3'\n" >codes.conf
fluxs run -n2 fluxs multi-prog codes.conf; echo "rc=$?"
printf "0 true\n" >short.conf
fluxs run -n2 fluxs multi-prog short.conf 2>short.err; echo "rc=$?"
grep "^fluxs-multi-prog: error: " short.err
# The task is the program itself, not a child of multi-prog: its parent is the shell.
printf "* sh -c 'cat /proc/\$PPID/comm'\n" >parent.conf
fluxs run fluxs multi-prog parent.conf
EOF
test_expect_success 'multi-prog as a job'"'"'s command: each task runs its line'"'"'s command; exit codes and errors go to the job' '
    run2 mpmd.sh >out 2>err &&
    cat >expected <<-\EOF &&
	0: task 0
	1: task 1 offset 0 rank 1
	2: task 2 offset 1 rank 2
	3: any  3 0 single quoted esc aped
	rc=3
	rc=1
	fluxs-multi-prog: error: short.conf: No matching line for rank 1
	fluxs-shell
	EOF
    test_cmp expected out
'

test_done
