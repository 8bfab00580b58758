#!/usr/bin/env bash
# Starts / stops a stock Linux target (tgtd, package `tgt`) on 127.0.0.1 for manual runs of
# run-guest.sh. KernelInitiatorIT drives tgtd itself (TgtdTarget.java) and does not use this.
#
#   tgtd-target.sh start PORT CONTROL_PORT IQN BACKING_FILE [USER SECRET [MUSER MSECRET]] [--digest]
#   tgtd-target.sh stop CONTROL_PORT
#
# `start` creates BACKING_FILE (96 MiB, sparse) if it does not exist; tgtd's pid goes to
# /tmp/pmtarget-tgtd-CONTROL_PORT.pid. --digest lets the target accept CRC32C digests
# (tgtd offers only None until HeaderDigest/DataDigest are updated).
set -euo pipefail
cmd="${1:-}"; shift || true
case "$cmd" in
  start)
    PORT="$1"; CTL="$2"; IQN="$3"; FILE="$4"; shift 4
    DIGEST=0; CREDS=()
    for a in "$@"; do if [ "$a" = --digest ]; then DIGEST=1; else CREDS+=("$a"); fi; done
    [ -e "$FILE" ] || truncate -s 96M "$FILE"
    setsid tgtd -f -C "$CTL" --iscsi "portal=127.0.0.1:$PORT" > "/tmp/pmtarget-tgtd-$CTL.log" 2>&1 &
    echo $! > "/tmp/pmtarget-tgtd-$CTL.pid"
    A=(tgtadm -C "$CTL" --lld iscsi)
    for _ in $(seq 50); do "${A[@]}" --op show --mode sys >/dev/null 2>&1 && break; sleep 0.1; done
    "${A[@]}" --op new --mode target --tid 1 -T "$IQN"
    "${A[@]}" --op new --mode logicalunit --tid 1 --lun 1 --bstype rdwr -b "$FILE"
    "${A[@]}" --op bind --mode target --tid 1 -I ALL
    if [ "${#CREDS[@]}" -ge 2 ]; then
      "${A[@]}" --op new --mode account --user "${CREDS[0]}" --password "${CREDS[1]}"
      "${A[@]}" --op bind --mode account --tid 1 --user "${CREDS[0]}"
    fi
    if [ "${#CREDS[@]}" -ge 4 ]; then
      "${A[@]}" --op new --mode account --user "${CREDS[2]}" --password "${CREDS[3]}"
      "${A[@]}" --op bind --mode account --tid 1 --user "${CREDS[2]}" --outgoing
    fi
    if [ "$DIGEST" = 1 ]; then
      "${A[@]}" --op update --mode target --tid 1 -n HeaderDigest -v CRC32C,None
      "${A[@]}" --op update --mode target --tid 1 -n DataDigest -v CRC32C,None
    fi
    echo "tgtd up: 127.0.0.1:$PORT $IQN lun 1 = $FILE (pid $(cat "/tmp/pmtarget-tgtd-$CTL.pid"))"
    ;;
  stop)
    CTL="$1"; A=(tgtadm -C "$CTL" --lld iscsi)
    # tgtd ignores SIGTERM while it has targets: delete them first, then the system.
    "${A[@]}" --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
    "${A[@]}" --op delete --mode system >/dev/null 2>&1 || true
    PID="$(cat "/tmp/pmtarget-tgtd-$CTL.pid" 2>/dev/null || true)"
    if [ -n "$PID" ]; then
      for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$PID" 2>/dev/null || true
      rm -f "/tmp/pmtarget-tgtd-$CTL.pid"
    fi
    ;;
  *) echo "usage: $0 start|stop ..." >&2; exit 64 ;;
esac
