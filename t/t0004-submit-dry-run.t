#!/usr/bin/env bash
test_description='fluxs submit --dry-run: the jobspec the submission options describe'
. "$(dirname "$0")/lib/test-lib.sh"

# jq-like: field EXPR FILE prints the Python expression EXPR evaluated on the JSON in FILE (as j).
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[2])); print(json.dumps(eval(sys.argv[1])))" "$1" "$2"; }

test_expect_success 'the dry-run jobspec is valid' '
    fluxs submit --dry-run -N2 -n4 -c2 -t 10m app a b >js.json &&
    fluxs jobspec validate js.json
'
test_expect_success 'command, duration (minutes or FSD), name, cwd' '
    fluxs submit --dry-run -t 10 --job-name=demo --cwd=/tmp app -x --y >js.json &&
    test "$(field "j[\"tasks\"][0][\"command\"]" js.json)" = "[\"app\", \"-x\", \"--y\"]" &&
    test "$(field "j[\"attributes\"][\"system\"][\"duration\"]" js.json)" = 600 &&
    test "$(field "j[\"attributes\"][\"system\"][\"job\"][\"name\"]" js.json)" = "\"demo\"" &&
    test "$(field "j[\"attributes\"][\"system\"][\"cwd\"]" js.json)" = "\"/tmp\"" &&
    fluxs submit --dry-run -t 1.5h app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"duration\"]" js.json)" = 5400
'
test_expect_success '-N2 -n4 -c2: two nodes, tasks spread across them' '
    fluxs submit --dry-run -N2 -n4 -c2 app >js.json &&
    test "$(field "j[\"resources\"][0][\"type\"]" js.json)" = "\"node\"" &&
    test "$(field "j[\"resources\"][0][\"count\"]" js.json)" = 2 &&
    test "$(field "j[\"resources\"][0][\"with\"][0][\"with\"][0]" js.json)" = "{\"count\": 2, \"type\": \"core\"}"
'
test_expect_success '-n3 -g1 without -N: slots only, with a gpu each' '
    fluxs submit --dry-run -n3 -g1 app >js.json &&
    test "$(field "j[\"resources\"][0][\"type\"]" js.json)" = "\"slot\"" &&
    test "$(field "j[\"resources\"][0][\"count\"]" js.json)" = 3 &&
    field "[w[\"type\"] for w in j[\"resources\"][0][\"with\"]]" js.json >types &&
    test_grep gpu types
'
test_expect_success 'environment rules: remove all, then set and copy' '
    FOO=bar fluxs submit --dry-run --env=-* --env=A=1 --env=FOO app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"]" js.json)" = "{\"A\": \"1\", \"FOO\": \"bar\"}" &&
    MARK=x fluxs submit --dry-run app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"][\"MARK\"]" js.json)" = "\"x\""
'
test_expect_success 'setattr: system. assumed, user. kept, JSON values, default 1' '
    fluxs submit --dry-run -S queue=batch --setattr=user.tags="[1,2]" --setattr=.user.x=y -S flag app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"queue\"]" js.json)" = "\"batch\"" &&
    test "$(field "j[\"attributes\"][\"user\"][\"tags\"]" js.json)" = "[1, 2]" &&
    test "$(field "j[\"attributes\"][\"user\"][\"x\"]" js.json)" = "\"y\"" &&
    test "$(field "j[\"attributes\"][\"system\"][\"flag\"]" js.json)" = 1
'
test_expect_success 'bad options give one clear error line' '
    test_expect_code 1 fluxs submit --dry-run --setattr=.foo.bar=x app 2>err &&
    test_grep "^fluxs-submit: error: .*foo" err &&
    test_expect_code 1 fluxs submit --dry-run -t 5x app 2>err &&
    test_grep "^fluxs-submit: error: .*5x" err &&
    test_expect_code 1 fluxs submit --dry-run --env=1X=2 app 2>err &&
    test_grep "^fluxs-submit: error: env rule \"1X=2\"" err &&
    test_must_fail fluxs submit --dry-run -n0 app 2>err &&
    test_grep "^fluxs-submit: error: " err
'
test_expect_success 'a missing command is a usage error (exit 2)' '
    test_expect_code 2 fluxs submit --dry-run 2>err &&
    test_grep "^fluxs-submit: error: missing the command to run" err
'
test_expect_success 'without --dry-run and outside an instance, submit says where to run it' '
    (unset FLUXS_URI; test_expect_code 1 fluxs submit app 2>err) &&
    test_grep "^fluxs-submit: error: FLUXS_URI is not set" err
'
test_expect_success '--dependency and --begin-time go into attributes.system.dependencies, in order' '
    fluxs submit --dry-run --dependency=afterok:f1 --dependency=afterany:42 --begin-time=@1700000000 app >js.json &&
    test "$(field "[(d[\"scheme\"], d[\"value\"]) for d in j[\"attributes\"][\"system\"][\"dependencies\"]]" js.json)" = \
        "[[\"afterok\", \"f1\"], [\"afterany\", \"42\"], [\"begin-time\", \"1700000000.000\"]]" &&
    test_must_fail fluxs submit --dry-run --dependency=afterok app 2>err &&
    test_grep "^fluxs-submit: error: --dependency \"afterok\": not SCHEME:VALUE" err &&
    test_must_fail fluxs submit --dry-run --begin-time=soon app 2>err &&
    test_grep "^fluxs-submit: error: --begin-time: time \"soon\"" err &&
    test_expect_code 2 fluxs submit --dry-run --urgency=32 app 2>err &&
    test_grep "^fluxs-submit: error: --urgency \"32\"" err
'
test_expect_success '--cc: one jobspec per index, {cc} replaced in the command and the name' '
    fluxs submit --dry-run --cc=1-2 --job-name=n{cc} app --part={cc} >two.json &&
    python3 -c "
import json,sys
text = open(\"two.json\").read()
dec = json.JSONDecoder(); docs = []; i = 0
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i == len(text): break
    doc, i = dec.raw_decode(text, i); docs.append(doc)
print(\" \".join(d[\"tasks\"][0][\"command\"][1] + \"/\" + d[\"attributes\"][\"system\"][\"job\"][\"name\"] + \"/\" + d[\"attributes\"][\"system\"][\"environment\"][\"FLUXS_JOB_CC\"] for d in docs))
" >got &&
    echo "--part=1/n1/1 --part=2/n2/2" >expected &&
    test_cmp expected got &&
    test_expect_code 2 fluxs submit --dry-run --cc=3-1 app 2>err &&
    test_grep "^fluxs-submit: error: --cc: " err
'
test_expect_success '--cc: {cc} is replaced in the options too (--output, --env), and left without --cc' '
    fluxs submit --dry-run --cc=3-4 --output=out.{cc} --env=PART={cc} app >two.json &&
    python3 -c "
import json
text = open(\"two.json\").read()
dec = json.JSONDecoder(); docs = []; i = 0
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i == len(text): break
    doc, i = dec.raw_decode(text, i); docs.append(doc)
print(\" \".join(d[\"attributes\"][\"system\"][\"shell\"][\"options\"][\"output\"][\"stdout\"][\"path\"] + \"/\" + d[\"attributes\"][\"system\"][\"environment\"][\"PART\"] for d in docs))
" >got &&
    echo "out.3/3 out.4/4" >expected &&
    test_cmp expected got &&
    fluxs submit --dry-run --output=out.{cc} app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"shell\"][\"options\"][\"output\"][\"stdout\"][\"path\"]" js.json)" = "\"out.{cc}\""
'
test_expect_success 'environment rules apply in command-line order across --env, --env-remove and --env-file' '
    FOO=bar fluxs submit --dry-run --env-remove=* --env=FOO app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"]" js.json)" = "{\"FOO\": \"bar\"}" &&
    FOO=bar fluxs submit --dry-run --env=A=1 --env-remove=* --env=FOO app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"]" js.json)" = "{\"FOO\": \"bar\"}" &&
    printf "B=2\n-A\n" >rules.env &&
    fluxs submit --dry-run --env=-* --env=A=1 --env-file=rules.env --env=C=\$B app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"]" js.json)" = "{\"B\": \"2\", \"C\": \"2\"}" &&
    fluxs submit --dry-run --env-file=rules.env --env=-* --env=D=4 app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"]" js.json)" = "{\"D\": \"4\"}"
'
test_expect_success 'batch: the directives'"'"' environment rules come before the command line'"'"'s, each in order; --flags in a directive' '
    printf "#!/bin/sh\n# flux: --env=-* --env=A=1 --flags=waitable\necho hi\n" >s.sh &&
    fluxs batch --dry-run --env=B=\$A --env-remove=A s.sh >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"environment\"]" js.json)" = "{\"B\": \"1\"}"
'
test_expect_success '--flags takes waitable, novalidate and debug (comma lists, repeated); others are refused' '
    fluxs submit --dry-run --flags=waitable app >js.json &&
    fluxs submit --dry-run --flags=waitable,debug --flags novalidate app >js2.json &&
    test_cmp js.json js2.json &&
    test_expect_code 2 fluxs submit --dry-run --flags=waitable,bogus app 2>err &&
    test_grep "^fluxs-submit: error: --flags: Unknown flag bogus" err &&
    test_expect_code 2 fluxs bulksubmit --dry-run --flags=nope echo {} ::: a 2>err &&
    test_grep "^fluxs-bulksubmit: error: --flags: Unknown flag nope" err
'
test_expect_success '-x is --exclusive' '
    fluxs submit --dry-run -N1 -x app >js.json &&
    test "$(field "j[\"resources\"][0][\"exclusive\"]" js.json)" = true &&
    fluxs submit --dry-run -N1 --exclusive app >js2.json &&
    test_cmp js.json js2.json
'
test_done
