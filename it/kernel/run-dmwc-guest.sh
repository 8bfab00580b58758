#!/usr/bin/env bash
# Boots the dm-writecache interop guest once (build-guest.sh --guest dmwc; /init is
# guest-dmwc-init.sh) with raw files as virtio disks, each named by its virtio serial.
#
#   run-dmwc-guest.sh --mode read|write --disk SERIAL=FILE [--disk ...] [--sets N] [--bs BYTES]
#                     [--wcopts name:value,...] [--ops phase:dst:src:blocks,...]
#                     [--param NAME=VALUE ...]   (any pmt.NAME, e.g. bs2=512, wcopts3=..., delay4=60000)
#                     [--timeout SECONDS] [--log FILE] [--kernel F --initrd F]
#
# No network: the guest only sees its disks. Exit status: 0 the guest printed PASS, 1 it printed
# FAIL, 2 timeout / no verdict line. The console goes to stdout (and --log FILE).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

MODE=; SETS=1; BS=4096; WCOPTS=; OPS=; TIMEOUT_S=120; LOG=; KERNEL=; INITRD=
DRIVES=(); PARAMS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE="$2"; shift ;;        --sets) SETS="$2"; shift ;;     --bs) BS="$2"; shift ;;
    --wcopts) WCOPTS="$2"; shift ;;    --ops) OPS="$2"; shift ;;
    --param)
      case "$2" in [a-z]*=*) ;; *) echo "run-dmwc-guest: --param NAME=VALUE" >&2; exit 64 ;; esac
      PARAMS+=("$2"); shift ;;
    --timeout) TIMEOUT_S="$2"; shift ;; --log) LOG="$2"; shift ;;
    --kernel) KERNEL="$2"; shift ;;    --initrd) INITRD="$2"; shift ;;
    --disk)
      serial="${2%%=*}"; file="${2#*=}"
      case "$serial$file" in *[[:space:],]*) echo "run-dmwc-guest: no spaces or commas in --disk" >&2; exit 64 ;; esac
      [ -f "$file" ] || { echo "run-dmwc-guest: no file $file" >&2; exit 64; }
      n=${#DRIVES[@]}
      DRIVES+=(-drive "file=$file,format=raw,if=none,id=d$n,cache=writeback"
               -device "virtio-blk-pci,drive=d$n,serial=$serial")
      shift ;;
    *) echo "run-dmwc-guest: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
case "$MODE" in read|write) ;; *) echo "run-dmwc-guest: --mode read|write" >&2; exit 64 ;; esac
[ ${#DRIVES[@]} -gt 0 ] || { echo "run-dmwc-guest: no --disk" >&2; exit 64; }
for v in "$WCOPTS" "$OPS" "${PARAMS[@]}"; do
  case "$v" in *[[:space:]]*) echo "run-dmwc-guest: no spaces in --wcopts/--ops/--param" >&2; exit 64 ;; esac
done

if [ -z "$KERNEL" ] || [ -z "$INITRD" ]; then
  eval "$("$HERE/build-guest.sh" --guest dmwc | grep -E '^(KERNEL|INITRD)=')"
fi

APPEND="console=ttyS0 panic=-1 quiet loglevel=3 pmt.dmwc=$MODE pmt.sets=$SETS pmt.bs=$BS"
[ -z "$WCOPTS" ] || APPEND+=" pmt.wcopts=$WCOPTS"
[ -z "$OPS" ] || APPEND+=" pmt.ops=$OPS"
for p in "${PARAMS[@]}"; do APPEND+=" pmt.$p"; done
# x86 cuts the kernel command line at 2048 bytes: a cut parameter must fail here, not in the guest.
[ ${#APPEND} -lt 2000 ] || { echo "run-dmwc-guest: kernel command line of ${#APPEND} bytes is too long" >&2; exit 64; }
QEMU=(qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m 512 -nodefaults -no-user-config
      -display none -serial stdio -monitor none -no-reboot
      -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" "${DRIVES[@]}")

OUTF="${LOG:-$(mktemp /tmp/pmtarget-dmwc-guest.XXXXXX.log)}"
START_NS=$(date +%s%N)
set +e
timeout --kill-after=5 "$TIMEOUT_S" "${QEMU[@]}" < /dev/null 2>&1 | tee "$OUTF"
RC_PIPE=("${PIPESTATUS[@]}")
set -e
ELAPSED_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
VERDICT="$(grep -a -o 'PMTARGET-GUEST: .*' "$OUTF" | tr -d '\r' | tail -n 1 || true)"
echo "run-dmwc-guest: qemu exit ${RC_PIPE[0]}, wall ${ELAPSED_MS} ms"
[ -n "$LOG" ] || rm -f "$OUTF"
case "$VERDICT" in
  "PMTARGET-GUEST: PASS"*) exit 0 ;;
  "PMTARGET-GUEST: FAIL"*) exit 1 ;;
  *) echo "PMTARGET-GUEST: FAIL no verdict from the guest (timeout ${TIMEOUT_S}s or crash; qemu exit ${RC_PIPE[0]})"; exit 2 ;;
esac
