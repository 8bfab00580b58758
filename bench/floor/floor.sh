#!/usr/bin/env bash
# The QD1 floor (see floor.c), plain and in tgtd's hand-off shape, with the machine's guest halt
# polling setting and with 200 µs of it (restored after), 2 runs each, alternating.
# Needs gcc; setting the halt polling needs root.
#   bench/floor/floor.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-5}
bin=$(mktemp -d)/floor
trap 'rm -rf "$(dirname "$bin")"' EXIT
gcc -O2 -Wall -pthread -o "$bin" floor.c
knob=/sys/module/haltpoll/parameters/guest_halt_poll_ns
machine=$(cat "$knob" 2>/dev/null || echo none)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run() {
    "$bin" "$1" "$port" & local srv=$!
    sleep 0.3
    "$bin" client "$port" "$secs"
    wait "$srv"
}
rounds() { for _ in 1 2; do run server; run handoff; done; }
echo "guest_halt_poll_ns = $machine (machine setting)"
rounds
if [ "$machine" != none ]; then
    trap 'echo "$machine" > "$knob"; rm -rf "$(dirname "$bin")"' EXIT
    echo 200000 > "$knob"
    echo "guest_halt_poll_ns = 200000"
    rounds
fi
