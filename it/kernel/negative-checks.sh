#!/usr/bin/env bash
# Shows that the kernel-initiator guest test can fail: each case below must end in
# "PMTARGET-GUEST: FAIL ..." (or a timeout verdict). Runs against tgtd on 127.0.0.1; ~1.5 min.
#   1. a byte of the large file flipped in the backing file between write and verify boots
#   2. mutual CHAP with a target secret the initiator does not expect
#   3. CRC32C digests demanded by the initiator, target allows only None
#   4. a guest that cannot finish in time is killed (timeout 4 s)
# Exit 0 when every case failed as it must, 1 otherwise.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T="$HERE/tgtd-target.sh"; G="$HERE/run-guest.sh"
IQN=iqn.2026-01.io.pmtarget:negative
PORT=$((20000 + RANDOM % 10000)); CTL=$((1000 + RANDOM % 9000))
DIR="$(mktemp -d /tmp/pmtarget-neg.XXXXXX)"
trap '"$T" stop $CTL; rm -rf "$DIR"' EXIT
bad=0
expect_fail() {   # $1 = case name, rest = run-guest.sh arguments
  local name="$1"; shift
  local line
  line="$("$G" --port $PORT --iqn $IQN "$@" 2>&1 | grep -a 'PMTARGET-GUEST: ' | tail -n 1)"
  case "$line" in
    *"PMTARGET-GUEST: FAIL"*) echo "negative-checks: ok   ($name) -> $line" ;;
    *) echo "negative-checks: BAD  ($name) -> ${line:-no verdict}"; bad=1 ;;
  esac
}

"$T" start $PORT $CTL $IQN "$DIR/lun.img" >/dev/null
SUMS="$("$G" --port $PORT --iqn $IQN --mode write 2>&1 | grep -a -o 'sums=[0-9a-f]*' | tail -n 1 | cut -d= -f2)"
[ -n "$SUMS" ] || { echo "negative-checks: the write boot itself failed"; exit 1; }
"$T" stop $CTL

# 1: flip one byte inside /big (ext4 block found with debugfs; the partition starts at 1 MiB).
dd if="$DIR/lun.img" of="$DIR/part.img" bs=1M skip=1 status=none
BS="$(debugfs -R stats "$DIR/part.img" 2>/dev/null | awk '/^Block size:/ {print $3}')"
BLK="$(debugfs -R "bmap /big 1000" "$DIR/part.img" 2>/dev/null)"
OFF=$((1048576 + BLK * BS + 100))
OLD="$(dd if="$DIR/lun.img" bs=1 skip=$OFF count=1 status=none | od -An -tu1 | tr -d ' ')"
printf "\\$(printf %03o $((255 - OLD)))" | dd of="$DIR/lun.img" bs=1 seek=$OFF conv=notrunc status=none
"$T" start $PORT $CTL $IQN "$DIR/lun.img" >/dev/null
expect_fail "corrupted data" --mode verify --sums "$SUMS"
expect_fail "timeout" --mode verify --timeout 4
"$T" stop $CTL

"$T" start $PORT $CTL $IQN "$DIR/lun.img" alice alicesecret12 tgtuser othersecret999 >/dev/null
expect_fail "wrong mutual CHAP secret" --mode verify --user alice --secret alicesecret12 \
  --muser tgtuser --msecret tgtsecret1234
"$T" stop $CTL

"$T" start $PORT $CTL $IQN "$DIR/lun.img" >/dev/null
expect_fail "digest refused" --mode verify --digest CRC32C
exit $bad
