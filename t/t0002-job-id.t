#!/usr/bin/env bash
test_description='fluxs job id: FLUID text forms (RFC 19)'
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success 'every form converts back to the same decimal id' '
    for id in 0 1 1234567890123 18446744073709551615; do
        for form in dec hex dothex kvs f58 f58plain words; do
            text=$(fluxs job id --to=$form $id) &&
            back=$(fluxs job id --to=dec "$text") &&
            test "$back" = "$id" || { echo "$form: $id -> $text -> $back"; return 1; }
        done
    done
'
test_expect_success 'known vectors' '
    test "$(fluxs job id --to=f58 0)" = "ƒ1" &&
    test "$(fluxs job id --to=hex 1)" = "0x1" &&
    test "$(fluxs job id --to=dothex 1)" = "0000.0000.0000.0001" &&
    test "$(fluxs job id --to=kvs 1)" = "job.0000.0000.0000.0001"
'
test_expect_success 'f58 prints the ASCII prefix outside a UTF-8 locale' '
    test "$(LC_ALL=C fluxs job id --to=f58 0)" = "f1" &&
    test "$(FLUXS_F58_FORCE_ASCII=1 fluxs job id --to=f58 0)" = "f1" &&
    test "$(fluxs job id f1)" = "0" &&
    test "$(fluxs job id ƒ1)" = "0"
'
test_expect_success 'ids are read from stdin when none are given' '
    printf "1\n2\n" | fluxs job id --to=hex >out &&
    printf "0x1\n0x2\n" >expected &&
    test_cmp expected out
'
test_expect_success 'a malformed id is one error line, exit 1' '
    test_expect_code 1 fluxs job id 12x 2>err &&
    test $(wc -l <err) -eq 1 &&
    test_grep "^fluxs-job: error: .*12x" err &&
    test_expect_code 1 fluxs job id ƒ0OIl 2>err &&
    test_grep "^fluxs-job: error: " err
'
test_expect_success 'an unknown --to form is a usage error (exit 2)' '
    test_expect_code 2 fluxs job id --to=octal 1 2>err &&
    test_grep "unknown form \"octal\"" err
'
test_done
