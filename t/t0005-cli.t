#!/usr/bin/env bash
test_description='fluxs: version, help, usage errors, man pages'
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success 'fluxs version and --version name the release' '
    fluxs version >out &&
    test_grep "^commands: *[0-9]*\.[0-9]*\.[0-9]*" out &&
    fluxs --version | grep "^fluxs [0-9]"
'
test_expect_success 'help goes to stdout and exits 0' '
    fluxs --help >out &&
    test_grep "hostlist" out &&
    fluxs submit --help >out &&
    test_grep "time-limit" out
'
test_expect_success 'an unknown subcommand or option is a usage error (exit 2)' '
    test_expect_code 2 fluxs frobnicate 2>err &&
    test_grep "^fluxs: error: " err &&
    test_expect_code 2 fluxs hostlist --no-such-option 2>err &&
    test_grep "^fluxs-hostlist: error: " err
'
test_expect_success 'every subcommand has a man page that formats cleanly' '
    for cmd in version hostlist jobspec submit job; do
        page=$SRCDIR/man/man1/fluxs-$cmd.1 &&
        test -f $page || { echo "no man page for $cmd"; return 1; }
    done &&
    for page in $SRCDIR/man/man*/*.[1-8]; do
        out=$(groff -mandoc -z -ww $page 2>&1) &&
        test -z "$out" || { echo "$page: $out"; return 1; }
    done
'
test_expect_success 'every subcommand and sub-subcommand has a page naming each of its long options' '
    "$SRCDIR/t/lib/man-options.sh" "$(command -v fluxs)" "$SRCDIR/man"
'
test_expect_success 'shell completions are generated' '
    fluxs --generate-completion-script bash >comp &&
    test_grep "hostlist" comp
'
test_done
