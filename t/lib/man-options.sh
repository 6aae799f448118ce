#!/bin/bash
# man-options.sh FLUXS MANDIR: every subcommand of FLUXS (and every subcommand of those)
# has a page MANDIR/man1/fluxs-CMD.1, and every long option its --help lists is named in
# that page or in a fluxs-*(1) page it refers to (the submission options live in
# fluxs-submit(1), for instance). Prints what is missing; exits 1 when anything is.
# fluxs python is left out: its arguments are python's.
fluxs=$1 mandir=$2
missing=0
declare -A rendered
render() {  # the page as text, rendered once
    [ -n "${rendered[$1]+set}" ] || rendered[$1]=$(groff -mandoc -Tascii -P-cbou "$1" 2>/dev/null)
    printf '%s\n' "${rendered[$1]}"
}
subcommands() { "$fluxs" "$@" --help 2>/dev/null | awk '/^SUBCOMMANDS:/ { f = 1; next } f && /^  [a-z]/ { print $1 }'; }
check() {  # PAGE WORD...
    local page=$1 text refs option ref found
    shift
    render "$page" >/dev/null  # into the cache, in this shell
    text=${rendered[$page]}
    refs=$(grep -oE 'fluxs\\-[a-z-]+ ?\(1\)' "$page" | sed 's/\\//g; s/ *(1)//' | sort -u)
    for option in $("$fluxs" "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        case $option in --help|--version) continue ;; esac
        grep -qF -- "$option" <<<"$text" && continue
        found=
        for ref in $refs; do
            [ -f "$mandir/man1/$ref.1" ] || continue
            render "$mandir/man1/$ref.1" >/dev/null
            grep -qF -- "$option" <<<"${rendered[$mandir/man1/$ref.1]}" && { found=1; break; }
        done
        [ -n "$found" ] || { echo "fluxs $*: $option is not in $page"; missing=$((missing + 1)); }
    done
}
for cmd in $(subcommands); do
    [ "$cmd" = python ] && continue
    page=$mandir/man1/fluxs-$cmd.1
    [ -f "$page" ] || { echo "fluxs $cmd: no page $page"; missing=$((missing + 1)); continue; }
    check "$page" "$cmd"
    for sub in $(subcommands "$cmd"); do check "$page" "$cmd" "$sub"; done
done
[ "$missing" -eq 0 ]
