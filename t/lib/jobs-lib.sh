# Helpers shared by the scripts that run real jobs (t06xx exec, t07xx nesting).
# Sourced after test-lib.sh; every function is exported for the scripts' instances.

# run2 SCRIPT [START OPTIONS]: runs the bash script SCRIPT as the initial program of an
# instance of two brokers.
run2() {
    local script=$1
    shift
    fluxs start --test-size=2 "$@" bash "$script"
}

# wait_for_file FILE: waits (at most 20 s) until FILE is not empty.
wait_for_file() {
    local i=0
    while ! test -s "$1"; do
        i=$((i + 1))
        test $i -le 400 || { echo >&2 "wait_for_file: $1 stayed empty"; return 1; }
        sleep 0.05
    done
}

# wait_for_line PATTERN FILE: waits (at most 20 s) until a line of FILE matches PATTERN.
wait_for_line() {
    local i=0
    while ! grep -q -e "$1" "$2" 2>/dev/null; do
        i=$((i + 1))
        test $i -le 400 || { echo >&2 "wait_for_line: no '$1' in $2"; return 1; }
        sleep 0.05
    done
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
    local state
    state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# live_marked VALUE: the live processes whose environment has TNNNN_MARK=VALUE (the
# marker a test gives its tasks): a task and everything it started.
live_marked() {
    local f pid
    for f in $(grep -lzx -e "T[0-9]*_MARK=$1" /proc/[0-9]*/environ 2>/dev/null); do
        pid=${f#/proc/}
        pid=${pid%/environ}
        pid_alive "$pid" && echo "$pid"
    done
    return 0
}

export -f run2 wait_for_file wait_for_line pid_alive live_marked
