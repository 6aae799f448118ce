#!/usr/bin/env bash
test_description='make install: programs, man pages and completions land under PREFIX and work there'
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success 'make install PREFIX=DIR installs what a user needs' '
    make -C "$SRCDIR" --no-print-directory install PREFIX="$PWD/inst" >make.out 2>&1 ||
        { cat make.out; return 1; }
    test -x inst/bin/fluxs && test -x inst/bin/fluxs-broker &&
    test -f inst/share/man/man1/fluxs-start.1 &&
    test -f inst/share/man/man7/fluxs-protocol.7 &&
    test -s inst/share/bash-completion/completions/fluxs &&
    test -s inst/share/zsh/site-functions/_fluxs &&
    test -s inst/share/fish/vendor_completions.d/fluxs.fish &&
    test -x inst/bin/fluxs-shell && test -x inst/bin/fluxs-imp &&
    test -f inst/etc/fluxs/system/conf.d/bootstrap.toml.example &&
    test -f inst/etc/fluxs/imp.conf &&
    test_grep "fluxs-broker --config-path=$PWD/inst/etc/fluxs/system/conf.d" inst/lib/systemd/system/fluxs.service &&
    test -f inst/lib/tmpfiles.d/fluxs.conf &&
    test -f inst/share/man/man5/fluxs-config.5 && test -f inst/share/man/man8/fluxs-imp.8
'

test_expect_success ROOT 'as root, make install makes fluxs-imp setuid root' '
    test "$(stat -c %U:%a inst/bin/fluxs-imp)" = root:4755
'
test_expect_success 'the installed fluxs starts the installed broker' '
    env PATH=/usr/bin:/bin inst/bin/fluxs start --test-size=2 sh -c "fluxs getattr size; command -v fluxs" >out &&
    test "$(sed -n 1p out)" = 2 &&
    test "$(sed -n 2p out)" = "$PWD/inst/bin/fluxs"
'
test_expect_success 'man finds the installed pages' '
    command -v man >/dev/null || { echo "no man here; checked with groff instead"; groff -mandoc -Tutf8 inst/share/man/man1/fluxs-start.1 >page; test_grep "test-size" page; return; }
    MANPATH=$PWD/inst/share/man man -P cat fluxs-start >page 2>/dev/null &&
    test_grep "test-size" page
'
test_done
