#!/usr/bin/env bash
# Boots the kernel-initiator test guest once against an iSCSI target on 127.0.0.1:PORT.
#
#   run-guest.sh --port PORT --iqn IQN [--mode write|verify] [--user U --secret S]
#                [--muser MU --msecret MS] [--digest None|CRC32C] [--badauth]
#                [--sums SHA256] [--bigmib N] [--files N] [--timeout SECONDS] [--log FILE]
#
# qemu runs under TCG inside a new network namespace that holds only `lo`; its user-mode (slirp)
# NIC is `restrict=on`, and the only way out is the guestfwd of 10.0.2.100:3260, whose command
# enters the network namespace of this script's process and connects socat to 127.0.0.1:PORT.
# Exit status: 0 the guest printed PASS, 1 it printed FAIL, 2 timeout / no verdict line.
# The guest's console goes to stdout (and --log FILE); the verdict line starts "PMTARGET-GUEST: ".
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PORT=; IQN=; MODE=write; USER_=; SECRET=; MUSER=; MSECRET=; DIGEST=None; BADAUTH=0; SUMS=
BIGMIB=16; FILES=200; TIMEOUT_S=180; LOG=; KERNEL=; INITRD=
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="$2"; shift ;;      --iqn) IQN="$2"; shift ;;      --mode) MODE="$2"; shift ;;
    --user) USER_="$2"; shift ;;     --secret) SECRET="$2"; shift ;;
    --muser) MUSER="$2"; shift ;;    --msecret) MSECRET="$2"; shift ;;
    --digest) DIGEST="$2"; shift ;;  --badauth) BADAUTH=1 ;;        --sums) SUMS="$2"; shift ;;
    --bigmib) BIGMIB="$2"; shift ;;  --files) FILES="$2"; shift ;;
    --timeout) TIMEOUT_S="$2"; shift ;; --log) LOG="$2"; shift ;;
    --kernel) KERNEL="$2"; shift ;;  --initrd) INITRD="$2"; shift ;;
    *) echo "run-guest: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
[ -n "$PORT" ] && [ -n "$IQN" ] || { echo "run-guest: --port and --iqn are required" >&2; exit 64; }
for v in "$IQN" "$USER_" "$SECRET" "$MUSER" "$MSECRET"; do
  case "$v" in *[[:space:],]*) echo "run-guest: no spaces or commas in IQN/credentials" >&2; exit 64 ;; esac
done

if [ -z "$KERNEL" ] || [ -z "$INITRD" ]; then
  eval "$("$HERE/build-guest.sh" | grep -E '^(KERNEL|INITRD)=')"
fi

APPEND="console=ttyS0 panic=-1 quiet loglevel=3 pmt.mode=$MODE pmt.iqn=$IQN pmt.digest=$DIGEST"
APPEND+=" pmt.bigmib=$BIGMIB pmt.files=$FILES pmt.badauth=$BADAUTH"
[ -z "$USER_" ] || APPEND+=" pmt.user=$USER_ pmt.secret=$SECRET"
[ -z "$MUSER" ] || APPEND+=" pmt.muser=$MUSER pmt.msecret=$MSECRET"
[ -z "$SUMS" ] || APPEND+=" pmt.sums=$SUMS"

HOST_NS_PID=$$
FWD="guestfwd=tcp:10.0.2.100:3260-cmd:nsenter --net=/proc/$HOST_NS_PID/ns/net socat -lf /dev/null STDIO TCP4:127.0.0.1:$PORT"
# `lo` must be up in the namespace: libslirp's guestfwd -cmd uses a loopback socket pair.
QEMU=(qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m 512 -nodefaults -no-user-config
      -display none -serial stdio -monitor none -no-reboot
      -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
      -netdev "user,id=n0,restrict=on,$FWD" -device virtio-net-pci,netdev=n0)

OUTF="${LOG:-$(mktemp /tmp/pmtarget-guest.XXXXXX.log)}"
START_NS=$(date +%s%N)
set +e
timeout --kill-after=5 "$TIMEOUT_S" unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "${QEMU[@]}" \
  < /dev/null 2>&1 | tee "$OUTF"
RC_PIPE=("${PIPESTATUS[@]}")
set -e
ELAPSED_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
VERDICT="$(grep -a -o 'PMTARGET-GUEST: .*' "$OUTF" | tr -d '\r' | tail -n 1 || true)"
echo "run-guest: qemu exit ${RC_PIPE[0]}, wall ${ELAPSED_MS} ms"
[ -n "$LOG" ] || rm -f "$OUTF"
case "$VERDICT" in
  "PMTARGET-GUEST: PASS"*) exit 0 ;;
  "PMTARGET-GUEST: FAIL"*) exit 1 ;;
  *) echo "PMTARGET-GUEST: FAIL no verdict from the guest (timeout ${TIMEOUT_S}s or crash; qemu exit ${RC_PIPE[0]})"; exit 2 ;;
esac
