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
test_expect_success 'per-resource options: the jobspec of flux-core'"'"'s JobspecV1.per_resource' '
    fluxs submit --dry-run -N2 --tasks-per-node=4 app >js.json &&
    test "$(field "j[\"resources\"]" js.json)" = "[{\"count\": 2, \"exclusive\": true, \"type\": \"node\", \"with\": [{\"count\": 1, \"label\": \"task\", \"type\": \"slot\", \"with\": [{\"count\": 1, \"type\": \"core\"}]}]}]" &&
    test "$(field "j[\"tasks\"][0][\"count\"]" js.json)" = "{\"per_slot\": 1}" &&
    test "$(field "j[\"attributes\"][\"system\"][\"shell\"][\"options\"][\"per-resource\"]" js.json)" = "{\"count\": 4, \"type\": \"node\"}" &&
    fluxs jobspec validate js.json &&
    fluxs submit --dry-run -N2 --cores=8 --gpus-per-node=1 --tasks-per-core=2 app >js.json &&
    test "$(field "j[\"resources\"]" js.json)" = "[{\"count\": 2, \"type\": \"node\", \"with\": [{\"count\": 1, \"label\": \"task\", \"type\": \"slot\", \"with\": [{\"count\": 4, \"type\": \"core\"}, {\"count\": 1, \"type\": \"gpu\"}]}]}]" &&
    test "$(field "j[\"attributes\"][\"system\"][\"shell\"][\"options\"][\"per-resource\"]" js.json)" = "{\"count\": 2, \"type\": \"core\"}" &&
    fluxs submit --dry-run --cores=3 app >js.json &&
    test "$(field "j[\"resources\"]" js.json)" = "[{\"count\": 3, \"label\": \"task\", \"type\": \"slot\", \"with\": [{\"count\": 1, \"type\": \"core\"}]}]" &&
    test "$(field "j[\"attributes\"][\"system\"].get(\"shell\")" js.json)" = null
'
test_expect_success 'per-resource options: flux-core'"'"'s refusals' '
    test_expect_code 2 fluxs submit --dry-run -n2 --tasks-per-node=1 -N1 app 2>err &&
    test_grep "Per-resource options can.t be used with per-task options" err &&
    test_expect_code 1 fluxs submit --dry-run --tasks-per-node=1 --tasks-per-core=1 -N1 app 2>err &&
    test_grep "Do not specify both the number of tasks per node and per core" err &&
    test_expect_code 1 fluxs submit --dry-run --gpus-per-node=1 --cores=2 app 2>err &&
    test_grep "gpus-per-node requires --nodes" err &&
    test_expect_code 1 fluxs submit --dry-run -N2 --cores=3 app 2>err &&
    test_grep "number of cores must be evenly divisible by node count" err &&
    test_expect_code 1 fluxs submit --dry-run -N2 --cores=1 app 2>err &&
    test_grep "number of cores cannot be less than nnodes" err &&
    test_expect_code 1 fluxs submit --dry-run --tasks-per-node=2 app 2>err &&
    test_grep "must specify node or core count with per_resource" err
'
test_expect_success 'batch --nslots, --cores-per-slot, --gpus-per-slot (and in directives) are -n, -c, -g' '
    printf "#!/bin/sh\necho hi\n" >plain.sh &&
    fluxs batch --dry-run --nslots=3 --cores-per-slot=2 --gpus-per-slot=1 plain.sh >js.json &&
    fluxs batch --dry-run -n3 -c2 -g1 plain.sh >js2.json &&
    test_cmp js.json js2.json &&
    printf "#!/bin/sh\n# flux: --nslots=3 --cores-per-slot=2 -g1\necho hi\n" >slots.sh &&
    fluxs batch --dry-run slots.sh >js3.json &&
    test "$(field "j[\"resources\"]" js3.json)" = "$(field "j[\"resources\"]" js.json)" &&
    test_expect_code 2 fluxs batch --dry-run -n2 --nslots=3 plain.sh 2>err &&
    test_grep "n and --nslots give different counts" err &&
    test_expect_code 2 fluxs submit --dry-run --nslots=2 app 2>err &&
    test_grep "nslots" err
'
test_expect_success 'batch --output=none or kvs keeps the output in the KVS; a name is a file' '
    printf "#!/bin/sh\necho hi\n" >plain.sh &&
    for o in none kvs; do
        fluxs batch --dry-run --output=$o plain.sh >js.json &&
        test "$(field "j[\"attributes\"][\"system\"][\"shell\"][\"options\"].get(\"output\")" js.json)" = null || return 1
    done &&
    fluxs batch --dry-run plain.sh >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"shell\"][\"options\"][\"output\"][\"stdout\"][\"path\"]" js.json)" = "\"fluxs-{{id}}.out\"" &&
    fluxs batch --dry-run --output=x.out plain.sh >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"shell\"][\"options\"][\"output\"][\"stdout\"][\"path\"]" js.json)" = "\"x.out\""
'
# dryname SCRIPT: the job name and node count fluxs batch --dry-run makes of SCRIPT.
dryname() {
    fluxs batch --dry-run "$1" >dry.json &&
    field "[j[\"attributes\"][\"system\"][\"job\"][\"name\"], j[\"resources\"][0][\"count\"]]" dry.json
}
test_expect_success 'RFC 36 directives: any prefix, # comments, directives after other comments, a docstring' '
    printf "#!/usr/bin/lua\n-- flux: -N2 --job-name=lua\nprint(1)\n" >lua.sh &&
    test "$(dryname lua.sh)" = "[\"lua\", 2]" &&
    printf "#!/bin/sh\n# flux: -N2 # two nodes\n# flux: --job-name=c   # the name\n# flux: # -N3\necho hi\n" >comment.sh &&
    test "$(dryname comment.sh)" = "[\"c\", 2]" &&
    printf "#!/usr/bin/env python3\n#\n\"\"\"\nflux: -N2\nflux: --job-name=py\n\"\"\"\nprint(1)\n" >py.sh &&
    test "$(dryname py.sh)" = "[\"py\", 2]" &&
    printf "#!/bin/sh\necho first\n// flux: -N2 --job-name=late\n" >late.sh &&
    test "$(dryname late.sh)" = "[\"late\", 2]"
'
test_expect_success 'RFC 36 directives: triple-quoted values on one line and over several' '
    cat >tq.sh <<-\EOF &&
	#!/bin/sh
	# flux: --job-name="""it'"'"'s "x" y"""
	# flux: --setattr=user.conf="""
	# flux: [config]
	# flux:   item = "foo"
	# flux: """
	echo hi
	EOF
    fluxs batch --dry-run tq.sh >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"job\"][\"name\"]" js.json)" = "\"it'"'"'s \\\"x\\\" y\"" &&
    test "$(field "j[\"attributes\"][\"user\"][\"conf\"]" js.json)" = "\"[config]\\n  item = \\\"foo\\\"\\n\""
'
test_expect_success 'RFC 36 directives: a changed sentinel, a directive after the group, a non-option, an open quote are errors' '
    printf "#!/bin/sh\n# flux: -N2\n## flux: -N1\n" >sent.sh &&
    test_expect_code 1 fluxs batch --dry-run sent.sh 2>err &&
    test_grep "line 3: sentinel changed from .# flux:. to .## flux:." err &&
    printf "#!/bin/sh\n# flux: -N2\necho x\n# flux: -N1\n" >orphan.sh &&
    test_expect_code 1 fluxs batch --dry-run orphan.sh 2>err &&
    test_grep "line 4: orphan .flux:. detected: directives disabled after line 2" err &&
    printf "#!/bin/sh\n# flux: N2\n" >unknown.sh &&
    test_expect_code 1 fluxs batch --dry-run unknown.sh 2>err &&
    test_grep "line 2: Unknown directive:  *N2" err &&
    printf "#!/bin/sh\n# flux: --setattr=a=\"\"\"\necho x\n" >open.sh &&
    test_expect_code 1 fluxs batch --dry-run open.sh 2>err &&
    test_grep "unterminated multi-line quote at line 2" err
'
test_expect_success '--add-file: a local file (its base name and mode), NAME=, NAME:PERMS= content with newlines' '
    printf "a=1\n" >in.conf && chmod 640 in.conf &&
    fluxs submit --dry-run --add-file=in.conf --add-file=x.sh:0755="#!/bin/sh\necho hi\n" --add-file=my.name=in.conf app >js.json &&
    field "sorted(j[\"attributes\"][\"system\"][\"files\"])" js.json >names &&
    echo "[\"in.conf\", \"my.name\", \"x.sh\"]" >expected &&
    test_cmp expected names &&
    test "$(field "j[\"attributes\"][\"system\"][\"files\"][\"in.conf\"]" js.json)" = "{\"data\": \"a=1\\n\", \"encoding\": \"utf-8\", \"mode\": 33184, \"size\": 4}" &&
    test "$(field "j[\"attributes\"][\"system\"][\"files\"][\"x.sh\"]" js.json)" = "{\"data\": \"#!/bin/sh\\necho hi\\n\", \"encoding\": \"utf-8\", \"mode\": 33261}" &&
    printf "\377\376" >bin.dat &&
    fluxs submit --dry-run --add-file=bin.dat app >js.json &&
    test "$(field "j[\"attributes\"][\"system\"][\"files\"][\"bin.dat\"][\"data\"]" js.json)" = "\"//4=\"" &&
    test_expect_code 1 fluxs submit --dry-run --add-file=nosuch.txt app 2>err &&
    test_grep "add-file=nosuch.txt: nosuch.txt: No such file or directory" err
'
test_done
