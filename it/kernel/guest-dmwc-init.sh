#!/bin/busybox sh
# /init of the dm-writecache interop guest (busybox ash, built by `build-guest.sh --guest dmwc`).
# Drives the real kernel dm-writecache (SSD mode 's': metadata and data through dm-io on an
# ordinary block device) over raw virtio disks that the host attached with serial numbers:
#   b<i> backing device    c<i> cache device    o<i> output (read mode)    in  input (write mode)
# Reports key=value lines "PMT-DMWC: ...", the kernel's device-mapper messages as
# "PMT-DMWC-DMESG: ...", and exactly one verdict line, then powers off:
#   PMTARGET-GUEST: PASS <details>     or     PMTARGET-GUEST: FAIL <reason>
# Parameters from the kernel command line (pmt.*=value):
#   pmt.dmwc   read | write
#              read:  for each set i in 1..pmt.sets: table wc<i> over b<i>/c<i>, status, copy the
#                     whole mapped device to o<i> (fsync'ed), sha256 of a second full read, remove.
#              write: table wc1 over b1/c1, run pmt.ops, print status, power off WITHOUT removing
#                     the table (uncommitted writes stay uncommitted, like a crash).
#   pmt.sets   read mode: number of disk sets (default 1)
#   pmt.bs     cache block size in bytes (default 4096)
#   pmt.wcopts dm-writecache optional arguments, ':' between name and value, ',' between options
#              (e.g. high_watermark:100,low_watermark:100,autocommit_time:3600000)
#   pmt.ops    write mode: phase:dstBlock:srcBlock:blocks,... copied from disk "in" to wc1 with
#              O_DIRECT in pmt.bs units; after the last op of phases 1 and 2 an fsync of wc1 (a
#              REQ_PREFLUSH: dm-writecache commits); phase 3 ops are never flushed.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t tmpfs tmp /tmp
exec </dev/console >/dev/console 2>&1
# No udev in this guest: libdevmapper creates the /dev/mapper nodes itself and waits for nobody.
export DM_DISABLE_UDEV=1
DMSETUP="/usr/sbin/dmsetup --noudevsync"

MODE=; SETS=1; BS=4096; WCOPTS=; OPS=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    pmt.dmwc=*) MODE="${arg#*=}" ;;   pmt.sets=*) SETS="${arg#*=}" ;;
    pmt.bs=*) BS="${arg#*=}" ;;       pmt.wcopts=*) WCOPTS="${arg#*=}" ;;
    pmt.ops=*) OPS="${arg#*=}" ;;
  esac
done

now() { cut -d' ' -f1 /proc/uptime; }
kv() { echo "PMT-DMWC: $*"; }
dm_dmesg() { dmesg | grep -iE 'device-mapper|writecache|dm-[0-9]' | sed 's/^/PMT-DMWC-DMESG: /'; }
finish() {   # $1 = PASS|FAIL, rest = details; always the last thing the guest does
  local verdict="$1"; shift
  dm_dmesg
  if [ "$verdict" = FAIL ]; then
    echo "---- dmesg (tail) ----"; dmesg | tail -n 30
  fi
  echo "PMTARGET-GUEST: $verdict $(echo "$*" | tr '\n' ' ') (uptime=$(now)s)"
  sleep 1   # let the serial line drain before the power goes
  poweroff -f
}
fail() { finish FAIL "$*"; }

for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m" || fail "insmod $m"
done

disk() {   # serial -> /dev/vdX (the host names every disk by its virtio serial)
  local i=0 d
  while [ $i -lt 50 ]; do
    for d in /sys/block/vd*; do
      [ -e "$d/serial" ] && [ "$(cat "$d/serial")" = "$1" ] && echo "/dev/${d##*/}" && return 0
    done
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# Optional arguments: "<count> name value name value ..." as the table wants them.
OPT_ARGS=; OPT_N=0
for o in $(echo "$WCOPTS" | tr ',' ' '); do
  OPT_ARGS="$OPT_ARGS ${o%%:*} ${o#*:}"; OPT_N=$((OPT_N + 2))
done

create() {   # $1 name, $2 backing disk, $3 cache disk
  local sectors table
  sectors="$(blockdev --getsz "$2")" || fail "blockdev --getsz $2"
  table="0 $sectors writecache s $2 $3 $BS $OPT_N$OPT_ARGS"
  kv "$1 table=$table"
  $DMSETUP create "$1" --table "$table" >/tmp/create.log 2>&1 \
    || fail "dmsetup create $1 refused: $(cat /tmp/create.log) / $(dmesg | grep -i writecache | tail -n 3)"
  [ -b "/dev/mapper/$1" ] || fail "no /dev/mapper/$1 after create"
}
status() { kv "$1 status=$($DMSETUP status "$1" 2>&1)"; }

kv "mode=$MODE sets=$SETS bs=$BS wcopts=$WCOPTS kernel=$(uname -r) init_at=$(now)"
case "$MODE" in
  read)
    i=1
    while [ $i -le "$SETS" ]; do
      B="$(disk "b$i")" || fail "no disk with serial b$i"
      C="$(disk "c$i")" || fail "no disk with serial c$i"
      O="$(disk "o$i")" || fail "no disk with serial o$i"
      create "wc$i" "$B" "$C"
      status "wc$i"
      dd if="/dev/mapper/wc$i" of="$O" bs=1M iflag=direct oflag=direct conv=fsync 2>/tmp/dd.log \
        || fail "copy wc$i -> $O: $(cat /tmp/dd.log)"
      kv "wc$i sha256=$(sha256sum "/dev/mapper/wc$i" | cut -d' ' -f1)"
      status "wc$i"
      $DMSETUP remove "wc$i" >/tmp/remove.log 2>&1 || fail "dmsetup remove wc$i: $(cat /tmp/remove.log)"
      i=$((i + 1))
    done
    finish PASS "mode=read sets=$SETS"
    ;;
  write)
    B="$(disk b1)" || fail "no disk with serial b1"
    C="$(disk c1)" || fail "no disk with serial c1"
    IN="$(disk in)" || fail "no disk with serial in"
    create wc1 "$B" "$C"
    status wc1
    LAST=0; N=0
    for op in $(echo "$OPS" | tr ',' ' '); do
      IFS=: read -r phase dst src blocks <<EOF
$op
EOF
      if [ "$phase" != "$LAST" ] && [ "$LAST" -ge 1 ] && [ "$LAST" -le 2 ]; then
        dd if=/dev/null of=/dev/mapper/wc1 count=0 conv=notrunc,fsync 2>/dev/null || fail "fsync after phase $LAST"
        kv "committed phase $LAST"
      fi
      LAST="$phase"
      dd if="$IN" of=/dev/mapper/wc1 bs="$BS" skip="$src" seek="$dst" count="$blocks" \
        iflag=direct oflag=direct 2>/tmp/dd.log || fail "op $op: $(cat /tmp/dd.log)"
      N=$((N + 1))
    done
    if [ "$LAST" -ge 1 ] && [ "$LAST" -le 2 ]; then
      dd if=/dev/null of=/dev/mapper/wc1 count=0 conv=notrunc,fsync 2>/dev/null || fail "fsync after phase $LAST"
      kv "committed phase $LAST"
    fi
    status wc1
    # No `dmsetup remove` (its suspend would commit phase 3): power goes off with the table live.
    finish PASS "mode=write ops=$N"
    ;;
  *) fail "pmt.dmwc must be read or write, not '$MODE'" ;;
esac
