#!/usr/bin/env bash
test_description='fluxs jobspec validate: RFC 14/25 examples and broken documents'
. "$(dirname "$0")/lib/test-lib.sh"

FIXTURES=$SRCDIR/Tests/FluxsFormatsTests/Fixtures/jobspec

test_expect_success 'every valid example is accepted, silently' '
    ls $FIXTURES/valid/* >files &&
    test -s files &&
    fluxs jobspec validate $(cat files) >out &&
    test ! -s out
'
test_expect_success '--verbose says ok for each valid file' '
    fluxs jobspec validate -v $(ls $FIXTURES/valid/* | head -2) >out &&
    test $(grep -c ": ok$" out) -eq 2
'
test_expect_success 'every invalid example is refused with FILE: path: rule lines' '
    for f in $FIXTURES/invalid/*; do
        test_expect_code 1 fluxs jobspec validate "$f" >out || return 1
        test -s out || { echo "no message for $f"; return 1; }
        grep -v "^$f: " out && { echo "line without the file name for $f"; return 1; }
    done; true
'
test_expect_success 'a wrong count names the path and the rule' '
    cat >bad.yaml <<-\EOF &&
	version: 1
	resources:
	  - type: slot
	    count: 0
	    label: task
	    with:
	      - type: core
	        count: 1
	tasks:
	  - command: ["app"]
	    slot: task
	    count:
	      per_slot: 1
	attributes: {}
	EOF
    test_expect_code 1 fluxs jobspec validate bad.yaml >out &&
    test_grep "^bad.yaml: resources\[0\]\.count: must be a positive integer$" out
'
test_expect_success 'every problem is reported, not just the first' '
    echo "{\"version\": 2, \"resources\": [], \"tasks\": [], \"attributes\": {}}" >two.json &&
    test_expect_code 1 fluxs jobspec validate two.json >out &&
    test $(wc -l <out) -ge 2 &&
    test_grep "^two.json: version: " out
'
test_expect_success 'stdin with -, and YAML syntax errors name the line' '
    fluxs jobspec validate - <$(ls $FIXTURES/valid/* | head -1) &&
    printf "version: 1\nresources: [\n" | test_expect_code 1 fluxs jobspec validate - >out &&
    test_grep "^stdin: " out
'
test_expect_success 'a missing file is an error on stderr, the others are still checked' '
    test_expect_code 1 fluxs jobspec validate nosuch.yaml $(ls $FIXTURES/valid/* | head -1) 2>err >out &&
    test_grep "^fluxs-jobspec: error: nosuch.yaml: No such file or directory$" err
'
test_done
